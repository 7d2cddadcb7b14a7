;; The dot-product kernel of VectorMatrix.search: the scores of one quantized query against many
;; quantized rows. Compiled into kernel.ts by scripts/build-kernel.mjs (`npm run build:kernel`).
;;
;; Rows are int8 (a quarter of float32's bytes, so a scan reads a quarter of the memory), the
;; query int16 (finer than the rows: its rounding would otherwise add to theirs). Each step loads
;; 16 row bytes, widens them to two i16x8 halves and multiplies them with 16 query values by
;; i32x4.dot_i16x8_s (eight multiply-adds into four i32 lanes each). The caller bounds the query's
;; values so that no i32 sum can overflow (see VectorMatrix).
;;
;; The memory is VectorMatrix's: it holds the query, the output scores and every row, so a search
;; copies nothing but the query.
;;
;; Contract (kept by the caller, not checked here): addresses are byte offsets; `stride` is the
;; number of values per row, a positive multiple of 16 (one loop step), with the query and every
;; row padded with zeros up to it.
(module
  (import "env" "memory" (memory 1))

  ;; out[i] = dot(query, row i) as i32, for i < count, where row i starts at rows + i * stride.
  (func (export "scores")
    (param $query i32) (param $rows i32) (param $count i32) (param $stride i32) (param $out i32)
    (local $outEnd i32) (local $rowEnd i32) (local $p i32) (local $q i32)
    (local $bytes v128) (local $acc0 v128) (local $acc1 v128)
    (local.set $outEnd (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $out) (local.get $outEnd)))
      (loop $eachRow
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $p (local.get $rows))
        (local.set $q (local.get $query))
        (local.set $rowEnd (i32.add (local.get $rows) (local.get $stride)))
        ;; 16 values per step: values 0-7 into acc0, 8-15 into acc1.
        (loop $eachStep
          (local.set $bytes (v128.load (local.get $p)))
          (local.set $acc0
            (i32x4.add (local.get $acc0)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $bytes)) (v128.load (local.get $q)))))
          (local.set $acc1
            (i32x4.add (local.get $acc1)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $bytes)) (v128.load offset=16 (local.get $q)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (br_if $eachStep (i32.lt_u (local.get $p) (local.get $rowEnd))))
        ;; Sum the eight lanes into one score.
        (local.set $acc0 (i32x4.add (local.get $acc0) (local.get $acc1)))
        (i32.store (local.get $out)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc0)) (i32x4.extract_lane 1 (local.get $acc0)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc0)) (i32x4.extract_lane 3 (local.get $acc0)))))
        (local.set $rows (local.get $rowEnd))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br_if $eachRow (i32.lt_u (local.get $out) (local.get $outEnd)))))))
