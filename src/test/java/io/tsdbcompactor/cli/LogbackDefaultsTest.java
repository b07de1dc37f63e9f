package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The logging the runnable jar starts with ({@link LogbackDefaults}, a logback configurator only the shaded jar
 * declares; the test classpath has none): configured without a logback error, so the jar prints no status dump on
 * start, it ends logback's search for a configuration, and its appender writes our logfmt lines at our levels
 * before the command line is applied.
 */
class LogbackDefaultsTest {
  private static final Path SHADED_SERVICE =
      Path.of("src/main/shaded/META-INF/services/ch.qos.logback.classic.spi.Configurator");

  @Test
  void theShadedJarsDefaultsLogLogfmtOnStderrAtOurLevels() throws Exception {
    assertEquals(List.of(LogbackDefaults.class.getName()), Files.readAllLines(SHADED_SERVICE));

    LoggerContext ctx = new LoggerContext();
    LogbackDefaults defaults = new LogbackDefaults();
    defaults.setContext(ctx);
    assertEquals(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, defaults.configure(ctx));

    List<Status> problems = ctx.getStatusManager().getCopyOfStatusList().stream()
        .filter(s -> s.getEffectiveLevel() >= Status.WARN).toList();
    assertEquals(List.of(), problems.stream().map(Status::getMessage).toList());
    assertEquals(Level.INFO, ctx.getLogger("io.tsdbcompactor").getEffectiveLevel());
    assertEquals(Level.WARN, ctx.getLogger("software.amazon.awssdk").getEffectiveLevel());
    assertEquals(Level.ERROR, ctx.getLogger(Logging.AZURE_JDK_HTTP_CLIENT).getEffectiveLevel());

    Appender<ILoggingEvent> appender = ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("stderr");
    assertTrue(appender instanceof ConsoleAppender<ILoggingEvent> c && c.getEncoder() instanceof LogEncoder
        && c.getTarget().equals("System.err"), "the stderr appender uses LogEncoder");
    LogEncoder encoder = (LogEncoder) ((ConsoleAppender<ILoggingEvent>) appender).getEncoder();
    Logger logger = ctx.getLogger("io.tsdbcompactor.sync.BlockSyncer");
    LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.INFO, "synced", null, null);
    event.setTimeStamp(0);
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertEquals("ts=1970-01-01T00:00:00Z level=info caller=BlockSyncer msg=synced\n", line);
    ctx.stop();
  }
}
