package io.asterline.secrets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encrypts secrets kept in the database with AES-256-GCM, so a database dump or backup does not hand out
 * tenants' OpenAI keys. A stored value is {@code enc:v1:<base64 of 12-byte nonce, ciphertext and tag>};
 * the context (which column of which row) is authenticated with it, so a value copied to another tenant
 * does not decrypt. Values without the prefix are plain text from before encryption and read as they are.
 *
 * <p>The key is {@code secrets.key}, or one generated on first need and kept in {@code <data.dir>/secrets.key}
 * (mode 0600). Losing it loses the stored secrets; every node sharing a database needs the same key.
 */
public final class SecretBox {

  private static final Logger log = LoggerFactory.getLogger(SecretBox.class);

  /** What every encrypted value starts with. */
  public static final String ENCRYPTED_PREFIX = "enc:v1:";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private final SecretsConfig config;
  private final SecureRandom random = new SecureRandom();
  private SecretKey key;

  public SecretBox(SecretsConfig config) {
    this.config = config;
  }

  /** Whether a stored value is encrypted (else it is plain text written before encryption existed). */
  public static boolean isEncrypted(String stored) {
    return stored != null && stored.startsWith(ENCRYPTED_PREFIX);
  }

  public String encrypt(String plaintext, String context) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key(), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      return ENCRYPTED_PREFIX + Base64.getEncoder().encodeToString(
          ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encrypt with AES-GCM: " + e.getMessage(), e);
    }
  }

  /**
   * The secret in a stored value: decrypted, or as it is when it is legacy plain text.
   *
   * @throws SecretException when it was encrypted with another key or altered; the message has no secret
   */
  public String decrypt(String stored, String context) {
    if (!isEncrypted(stored)) {
      return stored;
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(stored.substring(ENCRYPTED_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new SecretException(context + " is damaged (not base64)");
    }
    if (raw.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new SecretException(context + " is damaged (too short)");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key(), new GCMParameterSpec(TAG_BITS, raw, 0, NONCE_BYTES));
      cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      return new String(cipher.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (AEADBadTagException e) {
      throw new SecretException(context + " does not decrypt with this node's secrets key: it was stored with"
          + " another one (every node must have the same secrets.key / ASTERLINE_SECRETS_KEY, or the same "
          + config.keyFile() + ")");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot decrypt with AES-GCM: " + e.getMessage(), e);
    }
  }

  /** Loaded or generated on first need, so a node that never meets a stored secret writes no key file. */
  private synchronized SecretKey key() {
    if (key == null) {
      key = new SecretKeySpec(config.key().orElseGet(this::keyFromFile), "AES");
    }
    return key;
  }

  private byte[] keyFromFile() {
    Path file = config.keyFile();
    try {
      Optional<byte[]> existing = read(file);
      if (existing.isPresent()) {
        return existing.get();
      }
      byte[] fresh = new byte[32];
      random.nextBytes(fresh);
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
      try {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } catch (UnsupportedOperationException e) {
        Files.createFile(tmp);
      }
      Files.writeString(tmp, Base64.getEncoder().encodeToString(fresh) + "\n", StandardCharsets.UTF_8);
      try {
        // no replace: when another process on this data directory got there first, its key wins
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        Files.deleteIfExists(tmp);
        return read(file).orElseThrow(() -> e);
      }
      log.warn("secrets: generated the key that encrypts tenants' OpenAI keys in the database, kept in {} (mode"
          + " 0600); back it up (losing it loses the stored keys) and give every node sharing the database the"
          + " same key (secrets.key)", file);
      return fresh;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the secrets key " + file + ": " + e.getMessage()
          + " (or set secrets.key / ASTERLINE_SECRETS_KEY)", e);
    }
  }

  private static Optional<byte[]> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      if (!OWNER_ONLY.containsAll(Files.getPosixFilePermissions(file))) {
        Files.setPosixFilePermissions(file, OWNER_ONLY);
        log.warn("secrets: {} was readable by others; now mode 0600", file);
      }
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.UTF_8).trim());
    } catch (IllegalArgumentException e) {
      throw new IOException("not base64");
    }
    if (raw.length != 32) {
      throw new IOException("not 32 bytes");
    }
    return Optional.of(raw);
  }

  @Override
  public String toString() {
    return "SecretBox[" + config + "]";
  }
}
