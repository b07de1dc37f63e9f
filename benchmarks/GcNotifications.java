import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.tsdbcompactor.metrics.CompactorMetrics;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * The CPU a GC meter costs per collection: allocates 3 GB in 1 kB arrays (about 600 young collections under the
 * CronJob's heap flags) and prints the process CPU it took, with the compactor's metrics bound in one of three ways.
 * Run from the repository root against the shaded jar (benchmarks/README.md, "GC notifications"):
 *
 * <pre>
 *   java -Xmx64m -Xmn8m -XX:SurvivorRatio=3 -XX:+UseSerialGC -XX:-TieredCompilation -XX:CICompilerCount=1 \
 *     -cp target/tsdb-compactor.jar benchmarks/GcNotifications.java none|micrometer|ours
 * </pre>
 * {@code none}: no JVM meters; {@code micrometer}: none plus Micrometer's {@code JvmGcMetrics}, which listens to
 * every collection; {@code ours}: the compactor's JVM meters as {@code compact} binds them.
 */
public class GcNotifications {
  static volatile Object sink;

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "ours";
    CompactorMetrics metrics = new CompactorMetrics(mode.equals("ours"));
    if (mode.equals("micrometer")) {
      new JvmGcMetrics().bindTo(metrics.registry());
    }
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu = os.getProcessCpuTime();
    for (int i = 0; i < 3_000_000; i++) {
      sink = new byte[1000];
    }
    // The notification thread works behind the allocating one: give it a moment to catch up before reading the CPU.
    Thread.sleep(200);
    long collections = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      collections += gc.getCollectionCount();
    }
    System.out.printf("%s: %d collections, %.0f ms of process CPU%n", mode, collections,
        (os.getProcessCpuTime() - cpu) / 1e6);
  }
}
