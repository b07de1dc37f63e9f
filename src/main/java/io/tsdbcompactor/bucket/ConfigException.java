package io.tsdbcompactor.bucket;

/**
 * The objstore configuration is wrong: bad YAML, an unknown or unsupported key, a missing value. The message
 * names the key and never contains a secret value.
 */
public class ConfigException extends IllegalArgumentException {
  public ConfigException(String message) {
    super(message);
  }
}
