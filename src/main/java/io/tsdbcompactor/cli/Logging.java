package io.tsdbcompactor.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/** Applies {@code --log.level} and {@code --log.format} to logback at startup. */
public final class Logging {
  private Logging() {}

  /** Log levels Thanos accepts. */
  public enum LogLevel { debug, info, warn, error }

  /** Log formats: Thanos's logfmt and json (journald is not offered). */
  public enum LogFormat { logfmt, json }

  public static void configure(LogLevel level, LogFormat format) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return; // another SLF4J backend (e.g. in tests of an embedding application): leave it alone
    }
    apply(ctx, level, format);
  }

  /** Logs at {@code level} in {@code format} to stderr, through {@code ctx}'s root logger alone. */
  static void apply(LoggerContext ctx, LogLevel level, LogFormat format) {
    Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    ConsoleAppender<ILoggingEvent> app = new ConsoleAppender<>();
    app.setContext(ctx);
    app.setName("stderr");
    app.setTarget("System.err");
    LogEncoder enc = new LogEncoder(format == LogFormat.json);
    enc.setContext(ctx);
    enc.start();
    app.setEncoder(enc);
    app.start();
    root.addAppender(app);
    Level ours = switch (level) {
      case debug -> Level.DEBUG;
      case info -> Level.INFO;
      case warn -> Level.WARN;
      case error -> Level.ERROR;
    };
    ctx.getLogger("io.tsdbcompactor").setLevel(ours);
    // Libraries stay at warn unless debugging, so info lines are ours.
    root.setLevel(level == LogLevel.debug ? Level.DEBUG : Level.WARN);
    // The Azure SDK warns on every request that the JDK's HTTP client sets Content-Length itself (it does, from
    // the body): noise, not a problem.
    ctx.getLogger(AZURE_JDK_HTTP_CLIENT).setLevel(level == LogLevel.debug ? Level.DEBUG : Level.ERROR);
  }

  static final String AZURE_JDK_HTTP_CLIENT = "com.azure.core.http.jdk.httpclient.JdkHttpClient";
}
