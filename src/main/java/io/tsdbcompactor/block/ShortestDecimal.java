package io.tsdbcompactor.block;

import java.math.BigInteger;

/**
 * The shortest decimal that parses back to a given double, and among equally short ones the closest (ties to
 * the even digit): the digits Go's {@code strconv.FormatFloat(v, 'g', -1, 64)} prints.
 *
 * <p>This is Ulf Adams's Ryū algorithm (PLDI 2018, "Ryū: fast float-to-string conversion"; its reference
 * implementation's d2s with 125-bit tables): the double's rounding interval [mm, mp] around mv = 4 * mantissa is scaled by
 * 10^-q with 125-bit fixed-point powers of five (tables built once with BigInteger), then digits are removed
 * from the interval's ends while they still differ, tracking whether the removed digits were all zero so that
 * the closed/open ends and exact halfway cases are decided exactly. Allocation-free per call.
 */
final class ShortestDecimal {
  private static final int POW5_INV_BITCOUNT = 125;
  private static final int POW5_BITCOUNT = 125;
  private static final long[] POW5_INV_HI = new long[342];
  private static final long[] POW5_INV_LO = new long[342];
  private static final long[] POW5_HI = new long[326];
  private static final long[] POW5_LO = new long[326];

  static {
    BigInteger five = BigInteger.valueOf(5);
    BigInteger mask = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    for (int i = 0; i < 342; i++) {
      BigInteger pow = five.pow(i);
      int len = pow.bitLength();
      if (i < 326) {
        BigInteger v = pow.shiftRight(len - POW5_BITCOUNT);
        POW5_HI[i] = v.shiftRight(64).longValue();
        POW5_LO[i] = v.and(mask).longValue();
      }
      BigInteger inv = BigInteger.ONE.shiftLeft(len - 1 + POW5_INV_BITCOUNT).divide(pow).add(BigInteger.ONE);
      POW5_INV_HI[i] = inv.shiftRight(64).longValue();
      POW5_INV_LO[i] = inv.and(mask).longValue();
    }
  }

  private ShortestDecimal() {}

  /** bitLength(5^e) for 0 &lt;= e &lt;= 3528. */
  private static int pow5bits(int e) {
    return ((e * 1217359) >>> 19) + 1;
  }

  /** floor(log10(2^e)) for 0 &lt;= e &lt;= 1650. */
  private static int log10Pow2(int e) {
    return (e * 78913) >>> 18;
  }

  /** floor(log10(5^e)) for 0 &lt;= e &lt;= 2620. */
  private static int log10Pow5(int e) {
    return (e * 732923) >>> 20;
  }

  private static int pow5Factor(long value) {
    int count = 0;
    while (value > 0 && value % 5 == 0) {
      value /= 5;
      count++;
    }
    return count;
  }

  private static boolean multipleOfPowerOf5(long value, int p) {
    return pow5Factor(value) >= p;
  }

  private static boolean multipleOfPowerOf2(long value, int p) {
    return (value & ((1L << p) - 1)) == 0;
  }

  private static long unsignedMultiplyHigh(long a, long b) {
    return Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
  }

  /** (m * (hi * 2^64 + lo)) >> j for a non-negative m below 2^55 and 64 &lt; j &lt; 128. */
  private static long mulShift(long m, long hi, long lo, int j) {
    long high0 = unsignedMultiplyHigh(m, lo);
    long low1 = m * hi;
    long high1 = unsignedMultiplyHigh(m, hi);
    long sum = high0 + low1;
    if (Long.compareUnsigned(sum, high0) < 0) {
      high1++;
    }
    int dist = j - 64;
    return (high1 << (64 - dist)) | (sum >>> dist);
  }

  /**
   * Sets {@code out} to {digits, exponent} with digits x 10^exponent the decimal for {@code v} (positive,
   * finite, non-zero); digits has no trailing zeros.
   */
  static void of(double v, long[] out) {
    long bits = Double.doubleToRawLongBits(v);
    long ieeeMantissa = bits & ((1L << 52) - 1);
    int ieeeExponent = (int) ((bits >>> 52) & 0x7ff);
    int e2;
    long m2;
    if (ieeeExponent == 0) {
      e2 = 1 - 1023 - 52 - 2;
      m2 = ieeeMantissa;
    } else {
      e2 = ieeeExponent - 1023 - 52 - 2;
      m2 = (1L << 52) | ieeeMantissa;
    }
    boolean acceptBounds = (m2 & 1) == 0;
    long mv = 4 * m2;
    int mmShift = ieeeMantissa != 0 || ieeeExponent <= 1 ? 1 : 0;

    long vr;
    long vp;
    long vm;
    int e10;
    boolean vmIsTrailingZeros = false;
    boolean vrIsTrailingZeros = false;
    if (e2 >= 0) {
      int q = log10Pow2(e2) - (e2 > 3 ? 1 : 0);
      e10 = q;
      int k = POW5_INV_BITCOUNT + pow5bits(q) - 1;
      int i = -e2 + q + k;
      vr = mulShift(4 * m2, POW5_INV_HI[q], POW5_INV_LO[q], i);
      vp = mulShift(4 * m2 + 2, POW5_INV_HI[q], POW5_INV_LO[q], i);
      vm = mulShift(4 * m2 - 1 - mmShift, POW5_INV_HI[q], POW5_INV_LO[q], i);
      if (q <= 21) {
        // Only here can the scaled interval ends be exact integers.
        if (mv % 5 == 0) {
          vrIsTrailingZeros = multipleOfPowerOf5(mv, q);
        } else if (acceptBounds) {
          vmIsTrailingZeros = multipleOfPowerOf5(mv - 1 - mmShift, q);
        } else {
          vp -= multipleOfPowerOf5(mv + 2, q) ? 1 : 0;
        }
      }
    } else {
      int q = log10Pow5(-e2) - (-e2 > 1 ? 1 : 0);
      e10 = q + e2;
      int i = -e2 - q;
      int k = pow5bits(i) - POW5_BITCOUNT;
      int j = q - k;
      vr = mulShift(4 * m2, POW5_HI[i], POW5_LO[i], j);
      vp = mulShift(4 * m2 + 2, POW5_HI[i], POW5_LO[i], j);
      vm = mulShift(4 * m2 - 1 - mmShift, POW5_HI[i], POW5_LO[i], j);
      if (q <= 1) {
        // mv has at least q trailing zero bits, so the scaled values are exact.
        vrIsTrailingZeros = true;
        if (acceptBounds) {
          vmIsTrailingZeros = mmShift == 1;
        } else {
          vp--;
        }
      } else if (q < 63) {
        vrIsTrailingZeros = multipleOfPowerOf2(mv, q);
      }
    }

    int removed = 0;
    int lastRemovedDigit = 0;
    long output;
    if (vmIsTrailingZeros || vrIsTrailingZeros) {
      // Rare: exact values are involved, track the removed digits precisely.
      while (vp / 10 > vm / 10) {
        vmIsTrailingZeros &= vm % 10 == 0;
        vrIsTrailingZeros &= lastRemovedDigit == 0;
        lastRemovedDigit = (int) (vr % 10);
        vr /= 10;
        vp /= 10;
        vm /= 10;
        removed++;
      }
      if (vmIsTrailingZeros) {
        while (vm % 10 == 0) {
          vrIsTrailingZeros &= lastRemovedDigit == 0;
          lastRemovedDigit = (int) (vr % 10);
          vr /= 10;
          vp /= 10;
          vm /= 10;
          removed++;
        }
      }
      if (vrIsTrailingZeros && lastRemovedDigit == 5 && vr % 2 == 0) {
        // Exactly halfway: round to even.
        lastRemovedDigit = 4;
      }
      output = vr + ((vr == vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5 ? 1 : 0);
    } else {
      boolean roundUp = false;
      while (vp / 10 > vm / 10) {
        roundUp = vr % 10 >= 5;
        vr /= 10;
        vp /= 10;
        vm /= 10;
        removed++;
      }
      output = vr + (vr == vm || roundUp ? 1 : 0);
    }
    int exp = e10 + removed;
    while (output % 10 == 0) {
      output /= 10;
      exp++;
    }
    out[0] = output;
    out[1] = exp;
  }
}
