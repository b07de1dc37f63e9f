package io.tsdbcompactor.cli;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.Ulid;
import io.tsdbcompactor.bucket.Bucket;
import io.tsdbcompactor.metrics.CompactorMetrics;
import io.tsdbcompactor.sync.Marker;
import io.tsdbcompactor.sync.Markers;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tools bucket mark}: writes or removes one of Thanos's marker files on blocks, as Thanos's command does. */
@Command(name = "mark", mixinStandardHelpOptions = true,
    description = "Mark a block for deletion, no-compaction or no-downsampling in a safe way. An existing "
        + "marker is left unchanged.")
final class BucketMarkCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin
  ObjstoreOptions objstore;

  @CommandLine.ParentCommand
  BucketToolsCommand parent;
  @Mixin
  BucketToolsCommand.PushOptions push;

  @Option(names = "--id", required = true, paramLabel = "<ULID>", description = "ID (ULID) of the blocks to be marked (repeated flag).")
  List<String> ids;

  @Option(names = "--marker", required = true, paramLabel = "<marker>",
      description = "Marker to be put: deletion-mark.json, no-compact-mark.json or no-downsample-mark.json.")
  String marker;

  @Option(names = "--details", defaultValue = "", paramLabel = "<text>", description = "Human readable details to be put into marker.")
  String details;

  @Option(negatable = true, names = "--remove", description = "Remove the marker instead of writing it.")
  boolean remove;

  @Override
  public Integer call() {
    if (!Marker.isMarkerFile(marker)) {
      System.err.println("tools bucket mark: unknown marker '" + marker
          + "': use deletion-mark.json, no-compact-mark.json or no-downsample-mark.json");
      return 2;
    }
    for (String id : ids) {
      if (!Ulid.isValid(id)) {
        System.err.println("tools bucket mark: '" + id + "' is not a block ULID");
        return 2;
      }
    }
    CompactorMetrics metrics = new CompactorMetrics(false);
    Clock clock = CliEnvironment.of(spec).clock();
    try (Bucket bucket = objstore.orElse(parent.objstore).open(metrics, clock)) {
      int status = 0;
      for (String id : ids) {
        if (remove) {
          if (!Markers.exists(bucket, id, marker)) {
            System.err.println("block " + id + " has no " + marker);
            status = 1;
            continue;
          }
          Markers.remove(bucket, id, marker);
          System.out.println("removed " + id + "/" + marker);
          continue;
        }
        if (!bucket.exists(id + "/" + BlockMeta.FILE_NAME)) {
          System.err.println("block " + id + " not found in bucket " + bucket.name() + " (no meta.json)");
          status = 1;
          continue;
        }
        boolean wrote = switch (marker) {
          case Marker.DELETION_MARK -> Markers.markForDeletion(bucket, id, details, clock);
          case Marker.NO_COMPACT_MARK -> Markers.markNoCompact(bucket, id, Marker.REASON_MANUAL, details, clock);
          default -> Markers.markNoDownsample(bucket, id, Marker.REASON_MANUAL, details, clock);
        };
        System.out.println(wrote ? "marked " + id + " with " + marker : "block " + id + " already has " + marker + "; left unchanged");
      }
      return status;
    } catch (IOException | RuntimeException e) {
      return BucketToolsCommand.fail("mark", e);
    } finally {
      push.push("mark", metrics);
    }
  }
}
