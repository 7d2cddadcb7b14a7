;; The dot-product kernel of VectorMatrix.search: the scores of one query against many rows.
;; Compiled into kernel.ts by scripts/build-kernel.mjs (`npm run build:kernel`).
;;
;; The memory is VectorMatrix's: it holds the query, the output scores and every row, so a search
;; copies nothing but the query. A scalar JS scan does one multiply-add per float; here f32x4 does
;; four, and two accumulators keep two vector adds in flight: at 100k x 768, 19 ms a query against
;; 89 ms for the scalar scan on a 2-core test machine. Four accumulators gained only ~5% there: the
;; scan is bound by reading 300 MB of rows.
;;
;; Contract (kept by the caller, not checked here): addresses are byte offsets; `stride` is the
;; number of floats per row, a positive multiple of 8 (one loop step), with the query and every row
;; padded with zeros up to it.
(module
  (import "env" "memory" (memory 1))

  ;; out[i] = dot(query, row i) for i < count, where row i starts at rows + i * stride * 4.
  (func (export "scores")
    (param $query i32) (param $rows i32) (param $count i32) (param $stride i32) (param $out i32)
    (local $rowBytes i32) (local $outEnd i32) (local $rowEnd i32) (local $p i32) (local $q i32)
    (local $acc0 v128) (local $acc1 v128)
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $outEnd (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (br_if $done (i32.ge_u (local.get $out) (local.get $outEnd)))
      (loop $eachRow
        (local.set $acc0 (v128.const f32x4 0 0 0 0))
        (local.set $acc1 (v128.const f32x4 0 0 0 0))
        (local.set $p (local.get $rows))
        (local.set $q (local.get $query))
        (local.set $rowEnd (i32.add (local.get $rows) (local.get $rowBytes)))
        ;; 8 floats per step: floats 0-3 into acc0, 4-7 into acc1.
        (loop $eachStep
          (local.set $acc0
            (f32x4.add (local.get $acc0)
              (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
          (local.set $acc1
            (f32x4.add (local.get $acc1)
              (f32x4.mul (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $q)))))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (local.set $q (i32.add (local.get $q) (i32.const 32)))
          (br_if $eachStep (i32.lt_u (local.get $p) (local.get $rowEnd))))
        ;; Sum the eight lanes into one score.
        (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
        (f32.store (local.get $out)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
        (local.set $rows (local.get $rowEnd))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br_if $eachRow (i32.lt_u (local.get $out) (local.get $outEnd)))))))
