package io.tsdbcompactor.downsample;

import io.tsdbcompactor.downsample.DownsampleSelector.Candidate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one downsampling pass over planned candidates on {@code --downsample.concurrency} workers, as Thanos's
 * {@code downsampleBucket} does: candidates are handed out in plan (ULID) order, and the first failure stops
 * handing out more; jobs already running finish, then the first failure is rethrown (later ones attached as
 * suppressed). What a job does (download, {@link BlockDownsampler}, verify, upload) is the caller's.
 */
public final class DownsamplePass {

  /** Downsamples one candidate block. */
  @FunctionalInterface
  public interface Job {
    void run(Candidate candidate) throws Exception;
  }

  private DownsamplePass() {}

  /**
   * @return the number of candidates downsampled successfully
   * @throws Exception the first job failure
   */
  public static int run(List<Candidate> candidates, int concurrency, Job job) throws Exception {
    if (concurrency < 1) {
      throw new IllegalArgumentException("--downsample.concurrency must be at least 1, got " + concurrency);
    }
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    List<Exception> failures = new ArrayList<>();
    Runnable worker = () -> {
      while (true) {
        synchronized (failures) {
          if (!failures.isEmpty()) {
            return;
          }
        }
        int i = next.getAndIncrement();
        if (i >= candidates.size()) {
          return;
        }
        try {
          job.run(candidates.get(i));
          done.incrementAndGet();
        } catch (Exception e) {
          synchronized (failures) {
            failures.add(e);
          }
        }
      }
    };
    int threads = Math.min(concurrency, candidates.size());
    if (threads <= 1) {
      worker.run();
    } else {
      List<Thread> started = new ArrayList<>(threads);
      for (int t = 0; t < threads; t++) {
        Thread th = new Thread(worker, "downsample-" + t);
        th.start();
        started.add(th);
      }
      for (Thread th : started) {
        th.join();
      }
    }
    if (!failures.isEmpty()) {
      Exception first = failures.get(0);
      for (int i = 1; i < failures.size(); i++) {
        first.addSuppressed(failures.get(i));
      }
      throw first;
    }
    return done.get();
  }
}
