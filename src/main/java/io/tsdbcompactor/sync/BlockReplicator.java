package io.tsdbcompactor.sync;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.bucket.ListEntry;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies whole blocks from one bucket to another, of any two types, object by object and byte for byte
 * (streamed, never held in memory). Each block's meta.json is copied last, so a copy cut short is a partial block
 * in the target (no meta.json) that the next run completes and the target's cleanup would remove. Blocks whose
 * meta.json the target already has are skipped, which makes a re-run cheap and idempotent. Markers are not copied:
 * they are decisions about the source bucket.
 *
 * <p>Only blocks with a usable meta.json in the source are copied (never a partial block), and, unless the caller
 * wants otherwise, none marked for deletion.
 */
public final class BlockReplicator {
  private static final Logger LOG = LoggerFactory.getLogger(BlockReplicator.class);

  /** What one pass did. */
  public record Result(List<String> copied, List<String> alreadyThere, List<String> skippedMarked) {}

  private final Bucket from;
  private final Bucket to;

  public BlockReplicator(Bucket from, Bucket to) {
    this.from = from;
    this.to = to;
  }

  /**
   * One pass over the synced source: every block {@code select} accepts is copied unless the target has it.
   *
   * @param ignoreMarkedForDeletion skip blocks with a deletion mark in the source
   */
  public Result replicate(SyncResult source, Predicate<BlockMeta> select, boolean ignoreMarkedForDeletion)
      throws IOException {
    List<String> copied = new ArrayList<>();
    List<String> there = new ArrayList<>();
    List<String> marked = new ArrayList<>();
    for (BlockMeta m : source.allMetas().values()) {
      if (!select.test(m)) {
        continue;
      }
      if (ignoreMarkedForDeletion && source.deletionMarks().containsKey(m.ulid)) {
        marked.add(m.ulid);
        continue;
      }
      if (to.exists(m.ulid + "/" + BlockMeta.FILE_NAME)) {
        there.add(m.ulid);
        continue;
      }
      copy(m.ulid, source.objects().get(m.ulid));
      copied.add(m.ulid);
    }
    return new Result(copied, there, marked);
  }

  /** Copies the block's objects (as listed, else listed now), meta.json last. */
  private void copy(String ulid, List<ListEntry> listed) throws IOException {
    List<ListEntry> objects = listed != null ? listed : from.list(ulid, true);
    ListEntry meta = null;
    for (ListEntry e : objects) {
      String rel = e.key().substring(ulid.length() + 1);
      if (rel.equals(BlockMeta.FILE_NAME)) {
        meta = e;
      } else if (!e.isDirectory() && !Marker.isMarkerFile(rel)) {
        copyObject(e);
      }
    }
    if (meta == null) {
      throw new IOException("block " + ulid + ": meta.json vanished from bucket " + from.name() + " during the copy");
    }
    copyObject(meta);
    LOG.info("replicated block {} from {} to {}", ulid, from.name(), to.name());
  }

  private void copyObject(ListEntry e) throws IOException {
    try (InputStream in = from.get(e.key())) {
      to.upload(e.key(), in, e.size());
    }
  }
}
