package io.tsdbcompactor.cli;

import io.tsdbcompactor.model.PromDuration;
import java.time.Duration;
import picocli.CommandLine;

/** picocli converter for duration flags, so they accept exactly what Thanos accepts ({@link PromDuration}). */
public final class PromDurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    try {
      return PromDuration.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
