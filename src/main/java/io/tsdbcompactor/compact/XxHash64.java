package io.tsdbcompactor.compact;

/**
 * xxHash64 with seed 0 (cespare/xxhash, as Prometheus's {@code labels.Hash} uses it). Streaming, so a label set
 * of any size hashes without building one big byte array.
 */
final class XxHash64 {
  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  private long v1 = P1 + P2;
  private long v2 = P2;
  private long v3 = 0;
  private long v4 = -P1;
  private long total;
  private final byte[] buf = new byte[32];
  private int buffered;

  void update(byte[] b) {
    update(b, 0, b.length);
  }

  void update(int oneByte) {
    buf[buffered++] = (byte) oneByte;
    total++;
    if (buffered == 32) {
      stripe(buf, 0);
      buffered = 0;
    }
  }

  void update(byte[] b, int off, int len) {
    total += len;
    if (buffered > 0) {
      int n = Math.min(32 - buffered, len);
      System.arraycopy(b, off, buf, buffered, n);
      buffered += n;
      off += n;
      len -= n;
      if (buffered < 32) {
        return;
      }
      stripe(buf, 0);
      buffered = 0;
    }
    while (len >= 32) {
      stripe(b, off);
      off += 32;
      len -= 32;
    }
    System.arraycopy(b, off, buf, 0, len);
    buffered = len;
  }

  private void stripe(byte[] b, int off) {
    v1 = round(v1, le64(b, off));
    v2 = round(v2, le64(b, off + 8));
    v3 = round(v3, le64(b, off + 16));
    v4 = round(v4, le64(b, off + 24));
  }

  long digest() {
    long h;
    if (total >= 32) {
      h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
      h = merge(h, v1);
      h = merge(h, v2);
      h = merge(h, v3);
      h = merge(h, v4);
    } else {
      h = P5;
    }
    h += total;
    int i = 0;
    for (; i + 8 <= buffered; i += 8) {
      h ^= round(0, le64(buf, i));
      h = Long.rotateLeft(h, 27) * P1 + P4;
    }
    if (i + 4 <= buffered) {
      h ^= (le32(buf, i) & 0xffffffffL) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      i += 4;
    }
    for (; i < buffered; i++) {
      h ^= (buf[i] & 0xffL) * P5;
      h = Long.rotateLeft(h, 11) * P1;
    }
    h ^= h >>> 33;
    h *= P2;
    h ^= h >>> 29;
    h *= P3;
    h ^= h >>> 32;
    return h;
  }

  private static long round(long acc, long input) {
    acc += input * P2;
    return Long.rotateLeft(acc, 31) * P1;
  }

  private static long merge(long acc, long val) {
    acc ^= round(0, val);
    return acc * P1 + P4;
  }

  private static long le64(byte[] b, int i) {
    return (b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24
        | (b[i + 4] & 0xffL) << 32 | (b[i + 5] & 0xffL) << 40 | (b[i + 6] & 0xffL) << 48 | (b[i + 7] & 0xffL) << 56;
  }

  private static int le32(byte[] b, int i) {
    return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
  }
}
