;; The kernels of VectorMatrix: the scores of one quantized query against many quantized rows, the
;; quantization of a float32 vector into a row, and the exact dot product that rescores candidates. Compiled into kernel.ts by scripts/build-kernel.mjs (`npm run build:kernel`).
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
        (br_if $eachRow (i32.lt_u (local.get $out) (local.get $outEnd))))))

  ;; The largest magnitude among `count` floats at `src` (count a positive multiple of 4); NaN if any is NaN.
  (func (export "largest") (param $src i32) (param $count i32) (result f32)
    (local $end i32) (local $max v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 2))))
    (loop $each
      (local.set $max (f32x4.max (local.get $max) (f32x4.abs (v128.load (local.get $src)))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br_if $each (i32.lt_u (local.get $src) (local.get $end))))
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $max)) (f32x4.extract_lane 1 (local.get $max)))
      (f32.max (f32x4.extract_lane 2 (local.get $max)) (f32x4.extract_lane 3 (local.get $max)))))

  ;; dst[i] = round(src[i] * factor) as int8, for `count` floats (a positive multiple of 16), rounding
  ;; half to even; the caller picks `factor` so that no value exceeds 127 in magnitude.
  (func (export "quantize") (param $src i32) (param $dst i32) (param $count i32) (param $factor f32)
    (local $end i32) (local $scale v128)
    (local.set $scale (f32x4.splat (local.get $factor)))
    (local.set $end (i32.add (local.get $dst) (local.get $count)))
    (loop $each
      (v128.store (local.get $dst)
        (i8x16.narrow_i16x8_s
          (i16x8.narrow_i32x4_s
            (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load (local.get $src)) (local.get $scale))))
            (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load offset=16 (local.get $src)) (local.get $scale)))))
          (i16x8.narrow_i32x4_s
            (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load offset=32 (local.get $src)) (local.get $scale))))
            (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load offset=48 (local.get $src)) (local.get $scale)))))))
      (local.set $src (i32.add (local.get $src) (i32.const 64)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br_if $each (i32.lt_u (local.get $dst) (local.get $end)))))

  ;; The dot product of the `count` floats at $a and at $b (count a positive multiple of 4), each
  ;; product and the sum in float64: float32 products are exact in float64, so this equals a scalar
  ;; float64 loop up to summation order (two lanes per accumulator, two accumulators).
  (func (export "dot") (param $a i32) (param $b i32) (param $count i32) (result f64)
    (local $end i32) (local $x v128) (local $y v128) (local $low v128) (local $high v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $count) (i32.const 2))))
    (loop $each
      (local.set $x (v128.load (local.get $a)))
      (local.set $y (v128.load (local.get $b)))
      (local.set $low
        (f64x2.add (local.get $low)
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $y)))))
      (local.set $high
        (f64x2.add (local.get $high)
          (f64x2.mul
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $x) (local.get $x)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $y) (local.get $y))))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br_if $each (i32.lt_u (local.get $a) (local.get $end))))
    (local.set $low (f64x2.add (local.get $low) (local.get $high)))
    (f64.add (f64x2.extract_lane 0 (local.get $low)) (f64x2.extract_lane 1 (local.get $low)))))
