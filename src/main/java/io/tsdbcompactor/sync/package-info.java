/**
 * Blocks in a bucket, the way Thanos lays them out: {@link io.tsdbcompactor.sync.BlockSyncer} reads every
 * block's meta.json and markers (with a local cache) into a {@link io.tsdbcompactor.sync.SyncResult};
 * {@link io.tsdbcompactor.sync.BlockTransfer} uploads (meta.json last) and downloads blocks;
 * {@link io.tsdbcompactor.sync.Markers} writes and reads deletion, no-compact and no-downsample marks;
 * {@link io.tsdbcompactor.sync.BlocksCleaner} deletes marked blocks past the delete delay and old partial uploads.
 *
 * <p>Published API: meant for other compactors and tools; examples in {@code docs/library.md}.
 */
package io.tsdbcompactor.sync;
