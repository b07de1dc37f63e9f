package io.tsdbcompactor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code logback.xml} the shade plugin puts into the runnable jar (only there: the test classpath has none)
 * configures without a logback error, so the jar does not print logback's status dump on every start, and its
 * appender writes our logfmt lines before the command line is applied.
 */
class ShadedLogbackConfigTest {
  private static final Path SHADED_CONFIG = Path.of("src/main/shaded/logback.xml");

  @Test
  void shadedLogbackXmlConfiguresWithoutErrorsAndLogsLogfmt() throws Exception {
    LoggerContext ctx = new LoggerContext();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(ctx);
    configurator.doConfigure(SHADED_CONFIG.toFile());

    List<Status> problems = ctx.getStatusManager().getCopyOfStatusList().stream()
        .filter(s -> s.getEffectiveLevel() >= Status.WARN).toList();
    assertEquals(List.of(), problems.stream().map(Status::getMessage).toList());

    Appender<ILoggingEvent> appender = ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("stderr");
    assertTrue(appender instanceof ConsoleAppender<ILoggingEvent> c && c.getEncoder() instanceof LogEncoder,
        "the stderr appender uses LogEncoder");
    LogEncoder encoder = (LogEncoder) ((ConsoleAppender<ILoggingEvent>) appender).getEncoder();
    Logger logger = ctx.getLogger("io.tsdbcompactor.sync.BlockSyncer");
    LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, ch.qos.logback.classic.Level.INFO,
        "synced", null, null);
    event.setTimeStamp(0);
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertEquals("ts=1970-01-01T00:00:00Z level=info caller=BlockSyncer msg=synced\n", line);
    ctx.stop();
  }
}
