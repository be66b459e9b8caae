package io.asterline.db;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * zonky's default PostgreSQL binaries, remembering where zonky unpacks them: it names the directory
 * {@code PG-<MD5 of the archive>} under its working directory and does not say so, and single-user mode
 * ({@link EmbeddedAuth}) needs the {@code postgres} binary before the server starts. One instance per start.
 */
final class LocatedBinaries implements PgBinaryResolver {

  private volatile String archiveMd5;

  @Override
  public InputStream getPgBinary(String system, String machineHardware) throws IOException {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
    InputStream archive = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, machineHardware);
    return new DigestInputStream(archive, md5) {
      @Override
      public void close() throws IOException {
        super.close();
        if (archiveMd5 == null) {
          archiveMd5 = HexFormat.of().formatHex(md5.digest());
        }
      }
    };
  }

  /** The binary {@code name} as unpacked under {@code workingDirectory}; only after zonky has read the archive. */
  Path binary(Path workingDirectory, String name) {
    if (archiveMd5 == null) {
      throw new IllegalStateException("the PostgreSQL binaries have not been unpacked yet");
    }
    return workingDirectory.resolve("PG-" + archiveMd5).resolve("bin").resolve(name);
  }
}
