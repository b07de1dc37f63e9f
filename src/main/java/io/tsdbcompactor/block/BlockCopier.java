package io.tsdbcompactor.block;

import io.tsdbcompactor.chunk.ChunkEncoding;
import io.tsdbcompactor.chunk.ChunkMeta;
import io.tsdbcompactor.chunk.XorEncoder;
import io.tsdbcompactor.chunk.XorIterator;
import io.tsdbcompactor.chunkfile.ChunkRef;
import io.tsdbcompactor.store.Directory;
import io.tsdbcompactor.store.FileTree;
import io.tsdbcompactor.store.FsDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Copies a block into a new block with a new ULID: same symbols, series and time range, tombstones applied
 * (deleted samples are gone from the copy, whose tombstones file is empty), meta.json with the source's
 * compaction section and recomputed stats. Chunks are copied byte for byte, or with {@code recode} XOR chunks
 * are decoded and encoded again (one output chunk per input chunk; other encodings are copied as they are).
 */
public final class BlockCopier {
  private BlockCopier() {}

  /** Copies {@code src} into the empty directory {@code dst} under the given ULID; returns the written meta. */
  public static BlockMeta copy(BlockReader src, Directory dst, String ulid, boolean recode) throws IOException {
    BlockMeta template = src.meta().copy();
    template.ulid = ulid;
    if (template.thanos != null) {
      // Uploaded-file details belong to the source's upload, not to this new local block.
      template.thanos.files = new ArrayList<>();
      template.thanos.uploadTime = BlockMeta.ZERO_TIME;
    }
    XorIterator xor = new XorIterator();
    XorEncoder enc = new XorEncoder();
    try (BlockWriter w = new BlockWriter(dst)) {
      w.addSymbols(src.index().symbols());
      BlockReader.Series s = src.series();
      while (s.next()) {
        List<ChunkMeta> metas = s.chunksWithoutDeleted();
        if (recode) {
          List<ChunkMeta> out = new ArrayList<>(metas.size());
          for (ChunkMeta m : metas) {
            if (m.chunk.encoding() != ChunkEncoding.XOR) {
              out.add(m);
              continue;
            }
            enc.reset();
            xor.reset(src.name() + "/" + ChunkRef.toString(m.ref), m.chunk.data());
            while (xor.next()) {
              enc.append(xor.timestamp(), xor.value());
            }
            if (enc.numSamples() > 0) {
              out.add(new ChunkMeta(m.minTime, m.maxTime, 0, enc.toChunk()));
            }
          }
          metas = out;
        }
        w.addSeries(s.labels(), metas);
      }
      return w.finish(template);
    }
  }

  /**
   * Copies the block at {@code srcDir} into a new sub-directory of {@code dstParent} named by a fresh ULID,
   * written under a temporary name and renamed when complete; the ULID's time is the clock's. Returns the new
   * block's directory.
   */
  public static Path copy(Path srcDir, Path dstParent, boolean recode, Clock clock) throws IOException {
    String ulid = Ulid.now(clock).toString();
    Path tmp = dstParent.resolve(ulid + ".tmp-for-creation");
    Path target = dstParent.resolve(ulid);
    // Prometheus expects a chunks folder even in a block without chunks.
    Files.createDirectories(tmp.resolve("chunks"));
    try (BlockReader r = BlockReader.open(new FsDirectory(srcDir))) {
      copy(r, new FsDirectory(tmp), ulid, recode);
      FileTree.moveIntoPlace(tmp, target);
      return target;
    } finally {
      FileTree.delete(tmp);
    }
  }

}
