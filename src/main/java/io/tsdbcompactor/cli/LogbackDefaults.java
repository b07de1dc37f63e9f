package io.tsdbcompactor.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The runnable jar's logging until the command line is parsed: info and up of ours, warn and up of libraries,
 * logfmt on stderr ({@link Logging}). Logback finds it as a service, which only the shaded jar declares
 * ({@code src/main/shaded/META-INF/services}; a library must not configure its users' logging backend), and then
 * skips its own search for a configuration file: parsing a {@code logback.xml} cost every start about 25 ms.
 */
public final class LogbackDefaults extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    Logging.apply(context, Logging.LogLevel.info, Logging.LogFormat.logfmt);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
