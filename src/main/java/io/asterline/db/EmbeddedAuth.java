package io.asterline.db;

import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL's password. zonky's initdb writes a pg_hba.conf that trusts every local
 * connection, so any account on the host could open a superuser session on 127.0.0.1 (and run programs
 * as the service user with {@code COPY ... TO PROGRAM}). Instead, every connection needs a password:
 * generated on the first start, kept in {@code <dir>/password} (mode 0600, for the service user only) and
 * set on the superuser in single-user mode, before the postmaster accepts any connection; pg_hba.conf is
 * rewritten to scram-sha-256 at every start. A data directory from an older version (trust) is upgraded
 * the same way, keeping its data.
 */
final class EmbeddedAuth {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedAuth.class);

  static final String SUPERUSER = "postgres";
  static final String PASSWORD_FILE = "password";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  static final String PG_HBA = """
      # Written by Asterline at every start of its embedded PostgreSQL (edits are overwritten): every
      # connection needs the password kept in ../password, readable by the service user only.
      # TYPE  DATABASE     USER  ADDRESS       METHOD
      local   all          all                 scram-sha-256
      host    all          all   127.0.0.1/32  scram-sha-256
      host    all          all   ::1/128       scram-sha-256
      local   replication  all                 scram-sha-256
      host    replication  all   127.0.0.1/32  scram-sha-256
      host    replication  all   ::1/128       scram-sha-256
      """;

  private final Path passwordFile;
  private final String password;
  private final boolean stored;

  private EmbeddedAuth(Path passwordFile, String password, boolean stored) {
    this.passwordFile = passwordFile;
    this.password = password;
    this.stored = stored;
  }

  /** The stored password of the embedded PostgreSQL in {@code dir}, or a new one to be set by {@link #prepare}. */
  static EmbeddedAuth forDirectory(Path dir) {
    Path file = dir.resolve(PASSWORD_FILE);
    try {
      if (Files.exists(file)) {
        tightenPermissions(file);
        String stored = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (!stored.isEmpty()) {
          return new EmbeddedAuth(file, stored, true);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the embedded PostgreSQL's password in " + file + ": "
          + e.getMessage(), e);
    }
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    // URL-safe, so it can stand in a postgresql:// URL or a JDBC parameter unescaped
    return new EmbeddedAuth(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random), false);
  }

  /** Reads back the password a start stored in {@code dir}. */
  static String read(Path dir) {
    Path file = dir.resolve(PASSWORD_FILE);
    try {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the embedded PostgreSQL's password in " + file + ": "
          + e.getMessage(), e);
    }
  }

  String password() {
    return password;
  }

  /**
   * Runs after initdb and before the postmaster starts: sets the password when the data directory does not
   * have it yet (new, from an older version, or its password file lost), then makes pg_hba.conf demand it.
   */
  void prepare(Path dataDir, Path postgresBinary) {
    try {
      Path hba = dataDir.resolve("pg_hba.conf");
      boolean hbaCurrent = Files.exists(hba) && Files.readString(hba, StandardCharsets.UTF_8).equals(PG_HBA);
      boolean fresh = !Files.exists(dataDir.resolve("postmaster.opts")); // written by every postmaster start
      if (!stored || !hbaCurrent) {
        setSuperuserPassword(dataDir, postgresBinary);
        store();
      }
      if (!hbaCurrent) {
        Files.writeString(hba, PG_HBA, StandardCharsets.UTF_8);
        if (fresh) {
          log.info("embedded PostgreSQL: connections need the generated password kept in {} (mode 0600)",
              passwordFile);
        } else {
          log.warn("embedded PostgreSQL: {} let every local user in without a password; it now needs the"
              + " generated password kept in {} (mode 0600); the data is unchanged", dataDir, passwordFile);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot secure the embedded PostgreSQL in " + dataDir + ": " + e.getMessage(),
          e);
    }
  }

  /** Single-user mode needs no connection, so the password is in place before anyone can connect. */
  private void setSuperuserPassword(Path dataDir, Path postgresBinary) throws IOException {
    if (!Files.isExecutable(postgresBinary)) {
      throw new IOException("no PostgreSQL binary at " + postgresBinary);
    }
    List<String> command = new ArrayList<>();
    if (LinuxUtils.isUnshareAvailable()) {
      command.addAll(List.of("unshare", "-U")); // as zonky runs it: PostgreSQL refuses to run as root
    }
    command.addAll(List.of(postgresBinary.toString(), "--single", "-D", dataDir.toString(), "postgres"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    // the SCRAM verifier, never the password: a statement PostgreSQL logs on an error shows no secret
    try (OutputStream in = p.getOutputStream()) {
      in.write(("ALTER ROLE " + SUPERUSER + " WITH PASSWORD '" + scramVerifier(password) + "';\n")
          .getBytes(StandardCharsets.UTF_8));
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("single-user PostgreSQL did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while setting the password", e);
    }
    if (p.exitValue() != 0 || output.contains("ERROR:") || output.contains("FATAL:")) {
      throw new IOException("setting the superuser's password failed (exit " + p.exitValue() + "): "
          + output.replaceAll("SCRAM-SHA-256\\$[^']*", "(verifier)").strip());
    }
  }

  /** Written only once PostgreSQL has the password: a crash in between means a new one next time. */
  private void store() throws IOException {
    Path tmp = passwordFile.resolveSibling(PASSWORD_FILE + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp); // not a POSIX file system
    } catch (FileAlreadyExistsException e) {
      throw new IOException("cannot create " + tmp, e);
    }
    Files.writeString(tmp, password + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, passwordFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void tightenPermissions(Path file) throws IOException {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (!OWNER_ONLY.containsAll(perms)) {
        Files.setPosixFilePermissions(file, OWNER_ONLY);
        log.warn("embedded PostgreSQL: {} was readable by others; now mode 0600", file);
      }
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
  }

  /** PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, 4096 iterations as PostgreSQL uses). */
  static String scramVerifier(String password) {
    try {
      byte[] salt = new byte[16];
      new SecureRandom().nextBytes(salt);
      int iterations = 4096;
      byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
          .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
      byte[] clientKey = hmac(salted, "Client Key");
      byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
      byte[] serverKey = hmac(salted, "Server Key");
      Base64.Encoder b64 = Base64.getEncoder();
      return "SCRAM-SHA-256$" + iterations + ":" + b64.encodeToString(salt) + "$" + b64.encodeToString(storedKey)
          + ":" + b64.encodeToString(serverKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM lacks PBKDF2WithHmacSHA256 or HmacSHA256", e);
    }
  }

  private static byte[] hmac(byte[] key, String message) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(message.getBytes(StandardCharsets.US_ASCII));
  }
}
