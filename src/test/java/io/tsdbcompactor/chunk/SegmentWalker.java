package io.tsdbcompactor.chunk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Test-only walk over a chunk segment file (8-byte header, then records of uvarint length, encoding byte,
 * data, CRC32C). The real reader lives in package chunkfile; this one only feeds codec tests real chunks.
 */
final class SegmentWalker {
  record Record(String name, long offset, Chunk chunk) {}

  private SegmentWalker() {}

  static List<Record> read(Path segment) throws IOException {
    byte[] b = Files.readAllBytes(segment);
    if (b.length < 8 || (b[0] & 0xff) != 0x85 || (b[1] & 0xff) != 0xBD || (b[2] & 0xff) != 0x40
        || (b[3] & 0xff) != 0xDD || b[4] != 1) {
      throw new IOException(segment + ": not a version 1 chunk segment");
    }
    List<Record> out = new ArrayList<>();
    int pos = 8;
    while (pos < b.length) {
      long start = pos;
      long len = 0;
      int shift = 0;
      while (true) {
        int x = b[pos++] & 0xff;
        len |= (long) (x & 0x7f) << shift;
        if (x < 0x80) {
          break;
        }
        shift += 7;
      }
      int enc = b[pos] & 0xff;
      byte[] data = new byte[(int) len];
      System.arraycopy(b, pos + 1, data, 0, (int) len);
      CRC32C crc = new CRC32C();
      crc.update(b, pos, (int) len + 1);
      pos += 1 + (int) len;
      int stored = ((b[pos] & 0xff) << 24) | ((b[pos + 1] & 0xff) << 16) | ((b[pos + 2] & 0xff) << 8)
          | (b[pos + 3] & 0xff);
      if (stored != (int) crc.getValue()) {
        throw new IOException(segment + " at " + start + ": CRC mismatch");
      }
      pos += 4;
      out.add(new Record(segment + "@" + start, start, new Chunk(enc, data)));
    }
    return out;
  }

  /** Every chunk of every block under testdata/blocks/{set}. */
  static List<Record> all(String set) throws IOException {
    Path root = testdata().resolve("blocks").resolve(set);
    List<Record> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> p.getParent().getFileName().toString().equals("chunks")).sorted().toList()) {
        out.addAll(read(p));
      }
    }
    if (out.isEmpty()) {
      throw new IOException("no chunks under " + root);
    }
    return out;
  }

  static Path testdata() {
    Path p = Path.of("testdata");
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("run tests from the project root: testdata/ not found");
    }
    return p;
  }
}
