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
  record Damage(int seriesReordered, int seriesWithDuplicatedChunk, long newMaxTime) {}

  /**
   * Rewrites the index of the block in {@code dir} in place: every third series with two or more chunks lists them
   * in reverse order, every fifth lists its first chunk twice; then meta.json's maxTime is moved {@code cutMillis}
   * earlier, leaving the block's last samples outside its range. Series entries stay in label order (our index
   * writer allows nothing else).
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
    Path metaFile = dir.resolve(BlockMeta.FILE_NAME);
    BlockMeta meta = BlockMeta.parse(metaFile.toString(), Files.readAllBytes(metaFile));
    meta.maxTime -= cutMillis;
    Files.write(metaFile, meta.toJsonBytes());
    return new Damage(reordered, duplicated, meta.maxTime);
  }
}
