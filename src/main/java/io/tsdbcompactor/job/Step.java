package io.tsdbcompactor.job;

import java.io.IOException;
import java.util.List;

/**
 * One step of a run (clean up, garbage-collect, compact, downsample, retention). A step plans on a
 * {@link BucketState}; the plan then either runs against the bucket ({@link Planned#execute}) or, in a dry run,
 * is applied to the state ({@link Planned#simulate}) so the next step plans on what this one would leave. The dry
 * run and the run walk the same list of steps and plan with the same code: the dry run is the run with execution
 * turned off.
 */
interface Step {
  /** The step's name, as progress and logs show it ("compact raw", "downsample raw -> 5m", ...). */
  String name();

  /** Decides what to do on {@code state}; reads the bucket at most (index sizes), changes nothing. */
  Planned plan(BucketState state) throws IOException;

  /** What a step decided. */
  interface Planned {
    /** The actions the plan predicts (planned blocks with null ULIDs). */
    List<Action> actions();

    /** Dry run: applies the predicted outcome to {@code state}. */
    void simulate(BucketState state);

    /** Run: does it, recording each action performed and each failure in the run's report. */
    void execute() throws IOException;
  }
}
