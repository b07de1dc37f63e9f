package io.tsdbcompactor.chunk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only walk over an index file's symbols and series sections, enough to group chunk metas by series for
 * codec and merge tests. The real reader lives in package index; this one trusts its (real) input.
 */
final class IndexWalker {
  private IndexWalker() {}

  /** Series in index order, keyed by their labels as promtool prints them, with their chunk metas (not loaded). */
  static Map<String, List<ChunkMeta>> series(Path index) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(index));
    int toc = b.limit() - 52;
    int symbolsOff = (int) b.getLong(toc);
    int seriesOff = (int) b.getLong(toc + 8);
    int seriesEnd = (int) b.getLong(toc + 16);
    b.position(symbolsOff + 4);
    int count = b.getInt();
    List<String> symbols = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int len = (int) uvarint(b);
      byte[] s = new byte[len];
      b.get(s);
      symbols.add(new String(s, StandardCharsets.UTF_8));
    }
    Map<String, List<ChunkMeta>> out = new LinkedHashMap<>();
    int pos = seriesOff;
    while (true) {
      pos = (pos + 15) & ~15;
      if (pos >= seriesEnd) {
        break;
      }
      b.position(pos);
      int len = (int) uvarint(b);
      int contentEnd = b.position() + len;
      int nl = (int) uvarint(b);
      StringBuilder key = new StringBuilder("{");
      for (int i = 0; i < nl; i++) {
        String name = symbols.get((int) uvarint(b));
        String value = symbols.get((int) uvarint(b));
        key.append(i == 0 ? "" : ", ").append(name).append("=\"")
            .append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
      key.append('}');
      int nc = (int) uvarint(b);
      List<ChunkMeta> metas = new ArrayList<>(nc);
      long prevMax = 0;
      long prevRef = 0;
      for (int i = 0; i < nc; i++) {
        long minT = i == 0 ? varint(b) : prevMax + uvarint(b);
        long maxT = minT + uvarint(b);
        long ref = i == 0 ? uvarint(b) : prevRef + varint(b);
        metas.add(new ChunkMeta(minT, maxT, ref, null));
        prevMax = maxT;
        prevRef = ref;
      }
      if (b.position() != contentEnd) {
        throw new IOException(index + ": series entry at " + pos + " has unexpected length");
      }
      out.put(key.toString(), metas);
      pos = contentEnd + 4;
    }
    return out;
  }

  /** Loads the chunks of {@code metas} from the block's segment files. */
  static void load(Path blockDir, List<ChunkMeta> metas) throws IOException {
    Map<Long, Chunk> byRef = new LinkedHashMap<>();
    for (int seq = 0; ; seq++) {
      Path seg = blockDir.resolve("chunks").resolve(String.format("%06d", seq + 1));
      if (!Files.exists(seg)) {
        break;
      }
      for (SegmentWalker.Record r : SegmentWalker.read(seg)) {
        byRef.put(((long) seq << 32) | r.offset(), r.chunk());
      }
    }
    for (ChunkMeta m : metas) {
      m.chunk = byRef.get(m.ref);
      if (m.chunk == null) {
        throw new IOException(blockDir + ": no chunk at ref " + Long.toHexString(m.ref));
      }
    }
  }

  private static long uvarint(ByteBuffer b) {
    long x = 0;
    int s = 0;
    while (true) {
      int c = b.get() & 0xff;
      if (c < 0x80) {
        return x | ((long) c << s);
      }
      x |= (long) (c & 0x7f) << s;
      s += 7;
    }
  }

  private static long varint(ByteBuffer b) {
    long ux = uvarint(b);
    return (ux >>> 1) ^ -(ux & 1);
  }
}
