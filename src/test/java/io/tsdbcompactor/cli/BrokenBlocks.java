package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.index.IndexReader;
import io.tsdbcompactor.index.IndexSeries;
import io.tsdbcompactor.index.IndexWriter;
import io.tsdbcompactor.index.SeriesCursor;
import io.tsdbcompactor.index.StringCursor;
import io.tsdbcompactor.store.FsDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Blocks with the index issues Thanos's {@code index_known_issues} finds, made from a sound block by rewriting its
 * index (the chunk files stay as they are): chunks listed out of order and twice, and chunks outside the time
 * range that meta.json claims.
 */
final class BrokenBlocks {
  private BrokenBlocks() {}

  /** What was done to the block. */
  record Damage(int seriesReordered, int seriesWithDuplicatedChunk, int seriesWithUnsortedLabels, long newMaxTime) {}

  /**
   * Rewrites the index of the block in {@code dir} in place: every third series with two or more chunks lists them
   * in reverse order, every fifth lists its first chunk twice; then meta.json's maxTime is moved {@code cutMillis}
   * earlier, leaving the block's last samples outside its range; then every seventh series lists its first two
   * labels the other way round, as Prometheus 2.8 could write them. Series entries stay in label order.
   */
  static Damage breakIndex(Path dir, long cutMillis) throws IOException {
    Path broken = dir.resolve("index.broken");
    int reordered = 0;
    int duplicated = 0;
    try (IndexReader r = IndexReader.open(new FsDirectory(dir), "index")) {
      IndexWriter w = new IndexWriter(new FsDirectory(dir), "index.broken");
      StringCursor symbols = r.symbols();
      while (symbols.next()) {
        w.addSymbol(symbols.value());
      }
      SeriesCursor c = r.series();
      int n = 0;
      while (c.next()) {
        IndexSeries s = c.at();
        List<ChunkMeta> chunks = new ArrayList<>(s.chunks());
        if (chunks.size() >= 2 && n % 3 == 0) {
          Collections.reverse(chunks);
          reordered++;
        } else if (n % 5 == 1) {
          ChunkMeta first = chunks.get(0);
          chunks.add(1, new ChunkMeta(first.minTime, first.maxTime, first.ref, null));
          duplicated++;
        }
        w.addSeries(s.labels(), chunks);
        n++;
      }
      w.close();
    }
    Files.move(broken, dir.resolve("index"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    int unsorted = unsortLabels(dir, 7);
    Path metaFile = dir.resolve(BlockMeta.FILE_NAME);
    BlockMeta meta = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    meta.maxTime -= cutMillis;
    Files.write(metaFile, meta.toJsonBytes());
    return new Damage(reordered, duplicated, unsorted, meta.maxTime);
  }

  /**
   * Swaps the first two (name, value) pairs in the series entries of every {@code nth} series with two or more
   * labels, byte for byte, and recomputes each entry's CRC32C: the entry keeps its length, the postings stay right.
   */
  static int unsortLabels(Path dir, int nth) throws IOException {
    List<Long> refs = new ArrayList<>();
    try (IndexReader r = IndexReader.open(new FsDirectory(dir), "index")) {
      SeriesCursor c = r.series();
      int n = 0;
      while (c.next()) {
        if (c.at().labels().size() >= 2 && n++ % nth == 0) {
          refs.add(c.at().ref());
        }
      }
    }
    Path file = dir.resolve("index");
    byte[] b = Files.readAllBytes(file);
    for (long ref : refs) {
      int off = (int) (ref * 16);
      long[] len = uvarint(b, off);
      int start = (int) len[1];
      int pair1 = (int) uvarint(b, start)[1];
      int pair2 = (int) uvarint(b, (int) uvarint(b, pair1)[1])[1];
      int end = (int) uvarint(b, (int) uvarint(b, pair2)[1])[1];
      byte[] swapped = new byte[end - pair1];
      System.arraycopy(b, pair2, swapped, 0, end - pair2);
      System.arraycopy(b, pair1, swapped, end - pair2, pair2 - pair1);
      System.arraycopy(swapped, 0, b, pair1, swapped.length);
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(b, start, (int) len[0]);
      java.nio.ByteBuffer.wrap(b, start + (int) len[0], 4).putInt((int) crc.getValue());
    }
    Files.write(file, b);
    return refs.size();
  }

  /** An unsigned varint at {@code at}: its value and the position after it. */
  private static long[] uvarint(byte[] b, int at) {
    long x = 0;
    int shift = 0;
    while (true) {
      int v = b[at++] & 0xff;
      x |= (long) (v & 0x7f) << shift;
      if (v < 0x80) {
        return new long[] {x, at};
      }
      shift += 7;
    }
  }
}
