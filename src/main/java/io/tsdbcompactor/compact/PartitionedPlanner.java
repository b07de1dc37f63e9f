package io.tsdbcompactor.compact;

import io.tsdbcompactor.block.BlockMeta;
import io.tsdbcompactor.block.PartitionInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans a group's next compaction when outputs may be partitioned ({@code --compact.max-block-series},
 * {@code --compact.block-max-index-size}; docs/partitioned-output.md). The run's {@link GroupCompactor} and the
 * dry run's simulation both plan with it, so both split alike.
 *
 * <ol>
 *   <li>The partitions of one compaction output (same partitioned group id and time range) are one block to the
 *       {@link GuardedPlanner}: they overlap in time but not in series, so they are never merged together as
 *       overlapping blocks.</li>
 *   <li>A set that lacks partitions (another pod is writing them, or a run died half-way) is finished first: its
 *       inputs are the blocks whose sources it holds, its missing partitions are written with its count.</li>
 *   <li>Otherwise the planner picks the blocks to compact and the output's partition count is estimated from their
 *       metas ({@link Limits#partitions}); output partition {@code i} reads only the input blocks that can hold its
 *       series ({@link PartitionInfo#canShare}): partition {@code i} of adjacent ranges when the count stays, all
 *       the partitions that map to it when the count changes.</li>
 * </ol>
 */
public final class PartitionedPlanner {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionedPlanner.class);

  /**
   * Fewest series a planned partition is expected to hold: a hash split leaves a partition of n expected series
   * empty with probability e^-n, and a missing partition would leave its set unfinished (an empty block is not
   * written). Limits below it are met by splitting a partition only once it is written.
   */
  static final long MIN_SERIES_PER_PARTITION = 32;

  /**
   * {@code --compact.max-block-series} and {@code --compact.block-max-index-size}; a limit of 0 or less is none.
   */
  public record Limits(long maxSeries, long maxIndexBytes) {
    public static final Limits NONE = new Limits(0, 0);

    /** Whether a written block with these series and index bytes breaks a limit. */
    public boolean exceeded(long series, long indexBytes) {
      return (maxSeries > 0 && series > maxSeries) || (maxIndexBytes > 0 && indexBytes > maxIndexBytes);
    }

    /**
     * The fewest partitions whose biggest one is expected to meet both limits, for the output of these blocks,
     * before any of them is read. The series and index size of the output are estimated per time range: blocks of
     * the same range that are different partitions hold different series and add up; blocks of the same range that
     * are the same partition (replicas, a vertical overlap) hold the same series and count once (the biggest);
     * blocks of different ranges mostly hold the same series, so the estimate is the biggest range's. The hash
     * deals the series out unevenly ({@link #biggestPartition}), so a count whose mean partition just fits would
     * mostly write one partition over the limit, throw it away and write it again as two halves. An output that
     * still breaks a limit once written is split further ({@link GroupCompactor}).
     */
    public int partitions(List<BlockMeta> inputs, GuardedPlanner.IndexSizeLookup sizes) throws IOException {
      if (maxSeries <= 0 && maxIndexBytes <= 0) {
        return 1;
      }
      long[] est = estimate(inputs, sizes);
      long series = est[0];
      long index = est[1];
      long most = Math.min(1 << 16, Math.max(1, series / MIN_SERIES_PER_PARTITION));
      long n = 1;
      if (maxSeries > 0) {
        n = Math.max(n, ceilDiv(series, maxSeries));
      }
      if (maxIndexBytes > 0) {
        n = Math.max(n, ceilDiv(index, maxIndexBytes));
      }
      // Index bytes grow with the series a partition holds, so they take the same margin over their mean.
      while (n < most && series > 0) {
        double biggest = biggestPartition(series, n);
        double share = biggest * n / series;
        boolean fits = (maxSeries <= 0 || biggest <= maxSeries)
            && (maxIndexBytes <= 0 || share * index / n <= maxIndexBytes);
        if (fits) {
          break;
        }
        n++;
      }
      n = Math.min(n, most);
      int kept = fittingCount(inputs, sizes);
      return (int) (kept > 0 && kept < n ? kept : n);
    }

    /**
     * The inputs' partition count when they all have the same one and each of its partitions, as the inputs hold it
     * (the biggest range's), meets both limits: the hash has already dealt those series out, so the margin of a new
     * count is not needed to keep it. 0 otherwise.
     */
    private int fittingCount(List<BlockMeta> inputs, GuardedPlanner.IndexSizeLookup sizes) throws IOException {
      int count = inputs.isEmpty() ? 0 : PartitionInfo.of(inputs.get(0)).count();
      if (count < 2) {
        return 0;
      }
      Map<Integer, long[]> byId = new HashMap<>();
      for (BlockMeta m : inputs) {
        PartitionInfo p = PartitionInfo.of(m);
        if (p.count() != count) {
          return 0;
        }
        long[] est = byId.computeIfAbsent(p.id(), k -> new long[2]);
        est[0] = Math.max(est[0], m.stats.numSeries);
        est[1] = Math.max(est[1], indexSize(m, sizes));
      }
      for (long[] est : byId.values()) {
        if (exceeded(est[0], est[1])) {
          return 0;
        }
      }
      return count;
    }

    /**
     * The series the biggest of {@code n} partitions of {@code series} is planned for: the mean plus four standard
     * deviations of the binomial count a uniform hash gives each partition. Any of the {@code n} exceeds it with
     * probability about {@code n * 3e-5}.
     */
    static double biggestPartition(long series, long n) {
      double mean = (double) series / n;
      return mean + 4 * Math.sqrt(mean * (1 - 1.0 / n));
    }

    private static long ceilDiv(long a, long b) {
      return (a + b - 1) / b;
    }
  }

  /** The estimated series and index bytes of the output of these blocks, as {@link Limits#partitions} takes them. */
  static long[] estimate(List<BlockMeta> inputs, GuardedPlanner.IndexSizeLookup sizes) throws IOException {
    Map<String, Map<PartitionInfo, long[]>> ranges = new LinkedHashMap<>();
    for (BlockMeta m : inputs) {
      PartitionInfo p = PartitionInfo.of(m);
      long[] est = ranges.computeIfAbsent(m.minTime + "-" + m.maxTime, k -> new HashMap<>())
          .computeIfAbsent(new PartitionInfo(0, p.count(), p.id()), k -> new long[2]);
      est[0] = Math.max(est[0], m.stats.numSeries);
      est[1] = Math.max(est[1], indexSize(m, sizes));
    }
    long series = 0;
    long index = 0;
    for (Map<PartitionInfo, long[]> range : ranges.values()) {
      long s = 0;
      long i = 0;
      for (long[] est : range.values()) {
        s += est[0];
        i += est[1];
      }
      series = Math.max(series, s);
      index = Math.max(index, i);
    }
    return new long[] {series, index};
  }

  /**
   * The meta.json output partition {@code p} of {@code c} is expected to have, before anything is read (the dry
   * run and the run's progress totals plan with it): {@link CompactedMeta#planned} over the partition's inputs,
   * with its sources, and the output's estimated series and index size shared out evenly over the partitions, so
   * that the next level's partition count is planned from it as it will be from the written blocks.
   */
  public BlockMeta planned(Compaction c, PartitionInfo p, BlockMerger.Output spec) throws IOException {
    List<BlockMeta> parents = c.inputsOf(p);
    BlockMeta m = CompactedMeta.planned(spec, parents);
    m.minTime = c.minTime();
    m.maxTime = c.maxTime();
    m.compaction.sources = c.sourcesOf(spec.ulid(), p);
    m.thanos().extensions = p.extensions(spec.extensions());
    long[] est = estimate(c.inputs(), sizes);
    long other = 0;
    for (BlockMeta in : parents) {
      other += in.sizeBytes() - indexSize(in, sizes);
    }
    m.stats.numSeries = est[0] / p.count();
    m.thanos().files = new ArrayList<>(List.of(new BlockMeta.FileEntry("index", est[1] / p.count()),
        new BlockMeta.FileEntry("chunks", Math.max(0, other) / p.count())));
    return m;
  }

  /**
   * One compaction: the blocks it reads ({@code inputs}, minTime order) and the partitions of {@code count} it
   * writes ({@code toWrite}: all of them, or the ones a set still lacks). {@code existing} are the partitions of an
   * unfinished set already in the bucket. {@code sources} is the sorted union of the inputs' data sources
   * ({@link PartitionInfo#dataSources}): every partition lists them all (and, when partitioned, its own ULID, so that
   * no partition's sources are a subset of another's: Thanos's deduplication filter in the store gateway would
   * otherwise hide all partitions but one).
   * {@code vertical}: the inputs, partitions taken together, overlap in time. {@code base} is the count the set was
   * planned with (a set finished later may hold partitions split further): shards own partition {@code i mod base}
   * of {@code base} ({@link #owner}).
   */
  public record Compaction(List<BlockMeta> inputs, long groupId, int count, int base, List<PartitionInfo> toWrite,
      List<BlockMeta> existing, List<String> sources, boolean vertical) {

    /** The partition of the planned count that decides which shard writes {@code p}. */
    public PartitionInfo owner(PartitionInfo p) {
      return new PartitionInfo(groupId, base, p.id() % base);
    }

    public boolean partitioned() {
      return count > 1;
    }

    /** The output's first timestamp: every partition spans the whole compaction's range, whatever it reads. */
    public long minTime() {
      long t = Long.MAX_VALUE;
      for (BlockMeta m : inputs) {
        t = Math.min(t, m.minTime);
      }
      return t;
    }

    /** The output's end (exclusive), as {@link #minTime}. */
    public long maxTime() {
      long t = Long.MIN_VALUE;
      for (BlockMeta m : inputs) {
        t = Math.max(t, m.maxTime);
      }
      return t;
    }

    /** The inputs that can hold series of this output partition. */
    public List<BlockMeta> inputsOf(PartitionInfo out) {
      List<BlockMeta> in = new ArrayList<>();
      for (BlockMeta m : inputs) {
        if (PartitionInfo.of(m).canShare(out)) {
          in.add(m);
        }
      }
      return in;
    }

    /** The ULIDs of the inputs. */
    public List<String> inputUlids() {
      List<String> out = new ArrayList<>(inputs.size());
      for (BlockMeta m : inputs) {
        out.add(m.ulid);
      }
      return out;
    }

    /** The sources output partition {@code p} lists: {@link #sources}, plus its own ULID when partitioned. */
    public List<String> sourcesOf(String ulid, PartitionInfo p) {
      if (!p.partitioned()) {
        return sources;
      }
      List<String> s = new ArrayList<>(sources);
      s.add(ulid);
      return BlockMeta.sortedUnique(s);
    }
  }

  private final GuardedPlanner planner;
  private final Limits limits;
  private final GuardedPlanner.IndexSizeLookup sizes;

  public PartitionedPlanner(GuardedPlanner planner, Limits limits, GuardedPlanner.IndexSizeLookup sizes) {
    this.planner = planner;
    this.limits = limits;
    this.sizes = sizes;
  }

  /** The planner a group's compaction loop runs with these options (the run and the dry run alike). */
  public static PartitionedPlanner forOptions(CompactorOptions options, GuardedPlanner.IndexSizeLookup sizes,
      GuardedPlanner.NoCompactMarker marker) {
    return new PartitionedPlanner(GuardedPlanner.forOptions(options, sizes, marker),
        new Limits(options.maxBlockSeries(), options.blockMaxIndexSizeBytes()), sizes);
  }

  /**
   * The group's next compaction, or null when there is none. Blocks the planner marks no-compact are added to
   * {@code excluded}.
   */
  public Compaction plan(String groupKey, List<BlockMeta> metasByMinTime, Set<String> excluded) throws IOException {
    Map<String, List<BlockMeta>> sets = new LinkedHashMap<>();
    List<BlockMeta> whole = new ArrayList<>();
    for (BlockMeta m : metasByMinTime) {
      PartitionInfo p = PartitionInfo.of(m);
      if (p.partitioned()) {
        sets.computeIfAbsent(p.groupId() + "@" + m.minTime + "-" + m.maxTime, k -> new ArrayList<>()).add(m);
      } else {
        whole.add(m);
      }
    }
    // Logical blocks: whole blocks as they are, each complete set of partitions as one block.
    List<BlockMeta> logical = new ArrayList<>(whole);
    Map<String, List<BlockMeta>> members = new HashMap<>();
    Set<String> logicalExcluded = new HashSet<>(excluded);
    for (List<BlockMeta> set : sets.values()) {
      BlockMeta one = combined(set);
      members.put(one.ulid, set);
      logical.add(one);
      boolean complete = PartitionInfo.WHOLE.coveredBy(infos(set));
      boolean marked = set.stream().anyMatch(m -> excluded.contains(m.ulid));
      if (!complete && !marked) {
        Compaction resume = resume(set, metasByMinTime, excluded);
        if (resume != null) {
          return resume;
        }
      }
      if (!complete || marked) {
        logicalExcluded.add(one.ulid);
      }
    }
    logical.sort(Group.BY_MIN_TIME);
    Set<String> before = new HashSet<>(logicalExcluded);
    List<BlockMeta> chosen = planner.plan(logical, logicalExcluded);
    for (String u : logicalExcluded) {
      if (!before.contains(u)) {
        excluded.add(u);
      }
    }
    if (chosen.isEmpty()) {
      return null;
    }
    boolean vertical = !Planner.selectOverlapping(chosen).isEmpty();
    List<BlockMeta> inputs = new ArrayList<>();
    for (BlockMeta m : chosen) {
      inputs.addAll(members.getOrDefault(m.ulid, List.of(m)));
    }
    inputs.sort(Group.BY_MIN_TIME);
    int count = limits.partitions(inputs, sizes);
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    for (BlockMeta m : inputs) {
      minT = Math.min(minT, m.minTime);
      maxT = Math.max(maxT, m.maxTime);
    }
    long groupId = PartitionInfo.groupId(groupKey, minT, maxT);
    List<PartitionInfo> toWrite = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      toWrite.add(new PartitionInfo(groupId, count, i));
    }
    return new Compaction(inputs, groupId, count, count, toWrite, List.of(), sourcesOf(inputs), vertical);
  }

  /**
   * The compaction that finishes an incomplete set of partitions, or null when its inputs are no longer all there
   * (then the set stays as it is, left out of planning, and a warning says so).
   */
  private Compaction resume(List<BlockMeta> set, List<BlockMeta> metas, Set<String> excluded) {
    Set<String> own = new HashSet<>();
    for (BlockMeta m : set) {
      own.add(m.ulid);
    }
    Set<String> wanted = new TreeSet<>();
    for (BlockMeta m : set) {
      wanted.addAll(PartitionInfo.dataSources(m));
    }
    List<BlockMeta> inputs = new ArrayList<>();
    Set<String> found = new HashSet<>();
    for (BlockMeta m : metas) {
      List<String> src = PartitionInfo.dataSources(m);
      if (!own.contains(m.ulid) && wanted.containsAll(src) && overlaps(m, set)) {
        inputs.add(m);
        found.addAll(src);
      }
    }
    BlockMeta first = set.get(0);
    if (!found.containsAll(wanted) || inputs.stream().anyMatch(m -> excluded.contains(m.ulid))) {
      LOG.warn("partitions {} of [{}, {}) (partitioned group {}) are incomplete and their inputs are not all "
          + "there to finish them; left as they are", own, first.minTime, first.maxTime,
          PartitionInfo.of(first).groupId());
      return null;
    }
    int base = Integer.MAX_VALUE;
    int finest = 1;
    for (PartitionInfo p : infos(set)) {
      base = Math.min(base, p.count());
      finest = Math.max(finest, p.count());
    }
    long groupId = PartitionInfo.of(first).groupId();
    List<PartitionInfo> missing = new ArrayList<>();
    for (int i = 0; i < finest; i++) {
      PartitionInfo p = new PartitionInfo(groupId, finest, i);
      if (!p.coveredBy(infos(set))) {
        missing.add(p);
      }
    }
    inputs.sort(Group.BY_MIN_TIME);
    return new Compaction(inputs, groupId, finest, base, missing, List.copyOf(set), sourcesOf(inputs),
        !Planner.selectOverlapping(inputs).isEmpty());
  }

  /** Whether the block lies inside the set's range at least in part: an input of the set must. */
  private static boolean overlaps(BlockMeta m, List<BlockMeta> set) {
    BlockMeta s = set.get(0);
    return m.maxTime > s.minTime && m.minTime < s.maxTime;
  }

  private static List<PartitionInfo> infos(List<BlockMeta> set) {
    List<PartitionInfo> out = new ArrayList<>(set.size());
    for (BlockMeta m : set) {
      out.add(PartitionInfo.of(m));
    }
    return out;
  }

  private static List<String> sourcesOf(List<BlockMeta> inputs) {
    List<String> all = new ArrayList<>();
    for (BlockMeta m : inputs) {
      all.addAll(PartitionInfo.dataSources(m));
    }
    return BlockMeta.sortedUnique(all);
  }

  /**
   * A set of partitions as one block for the planner: the first partition's ULID, the set's range, its highest
   * level, the sums of its stats and file sizes, the union of its sources.
   */
  private static BlockMeta combined(List<BlockMeta> set) {
    BlockMeta one = set.get(0).copy();
    one.stats.numSeries = 0;
    one.stats.numSamples = 0;
    one.stats.numChunks = 0;
    one.stats.numTombstones = 0;
    long files = 0;
    long index = 0;
    List<String> sources = new ArrayList<>();
    for (BlockMeta m : set) {
      one.stats.numSeries += m.stats.numSeries;
      one.stats.numSamples += m.stats.numSamples;
      one.stats.numChunks += m.stats.numChunks;
      one.stats.numTombstones += m.stats.numTombstones;
      one.compaction.level = Math.max(one.compaction.level, m.compaction.level);
      one.compaction.failed |= m.compaction.failed;
      sources.addAll(PartitionInfo.dataSources(m));
      if (m.thanos != null) {
        for (BlockMeta.FileEntry f : m.thanos.files) {
          files += f.sizeBytes;
          if (f.relPath.equals("index")) {
            index += f.sizeBytes;
          }
        }
      }
    }
    one.compaction.sources = BlockMeta.sortedUnique(sources);
    one.thanos().files = new ArrayList<>(List.of(new BlockMeta.FileEntry("index", index),
        new BlockMeta.FileEntry("chunks", files - index)));
    return one;
  }

  static long indexSize(BlockMeta m, GuardedPlanner.IndexSizeLookup sizes) throws IOException {
    if (m.thanos != null) {
      for (BlockMeta.FileEntry f : m.thanos.files) {
        if (f.relPath.equals("index") && f.sizeBytes > 0) {
          return f.sizeBytes;
        }
      }
    }
    return sizes.indexSize(m.ulid);
  }
}
