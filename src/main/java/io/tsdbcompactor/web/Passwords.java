package io.tsdbcompactor.web;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.IllegalBCryptFormatException;
import io.tsdbcompactor.bucket.ConfigException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * bcrypt checks for {@code basic_auth_users} (hashes as {@code htpasswd -B} writes them: $2a$, $2b$, $2y$).
 * bcrypt is slow on purpose (cost 10 is tens of milliseconds), so, as the exporter-toolkit does, outcomes are
 * cached per (user, hash, password digest) and only one check runs at a time. Unknown users are checked against
 * a fixed hash so that timing does not tell which users exist.
 *
 * <p>The bcrypt library is an optional dependency: without it on the class path a config with users is refused.
 */
final class Passwords {
  /** bcrypt of "fakepassword", checked for unknown users. */
  private static final String DECOY = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
  private static final int CACHE_SIZE = 256;

  private final Map<String, Boolean> cache = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > CACHE_SIZE;
    }
  });

  /** Whether {@code hash} parses as a bcrypt hash. */
  static boolean isBcryptHash(String hash) {
    try {
      for (BCrypt.Version v : BCrypt.Version.SUPPORTED_VERSIONS) {
        try {
          v.parser.parse(hash.getBytes(StandardCharsets.UTF_8));
          return true;
        } catch (IllegalBCryptFormatException e) {
          // try the next version's parser
        }
      }
      return false;
    } catch (NoClassDefFoundError e) {
      throw new ConfigException("basic_auth_users needs the bcrypt library (at.favre.lib:bcrypt) on the class path");
    }
  }

  /** Whether {@code password} matches the user's hash; false for unknown users. */
  boolean check(Map<String, String> users, String user, String password) {
    String hash = users.get(user);
    boolean known = hash != null;
    String checked = known ? hash : DECOY;
    String key = user + '\0' + checked + '\0' + digest(password);
    Boolean cached = cache.get(key);
    if (cached != null) {
      return cached;
    }
    boolean ok;
    synchronized (this) {
      ok = verify(password, checked) && known;
    }
    cache.put(key, ok);
    return ok;
  }

  private static boolean verify(String password, String hash) {
    try {
      return BCrypt.verifyer().verify(password.toCharArray(), hash).verified;
    } catch (IllegalArgumentException e) {
      return false; // e.g. a password longer than bcrypt's 72 bytes
    }
  }

  private static String digest(String password) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
