package io.asterline.recording;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

/**
 * Local storage: the recording stays where Asterisk wrote it, or moves into {@code storage.dir} under
 * {@code <tenant>/<yyyy>/<mm>/<dd>/<call id>.wav} (a voicemail: {@code <call id>-voicemail.wav}). The move never
 * leaves a half-written file under the final name, and the source is deleted only once the destination is
 * complete, so a crash at any point is repaired by running the step again.
 */
final class LocalStorage implements RecordingStorage {

  private final Optional<Path> storageDir;

  LocalStorage(Optional<Path> storageDir) {
    this.storageDir = storageDir.map(d -> d.toAbsolutePath().normalize());
  }

  @Override
  public StoredObject store(Path source, long bytes, RecordingKind kind, long tenantId, UUID callId,
      OffsetDateTime callCreatedAt) throws IOException {
    if (storageDir.isEmpty()) {
      if (!Files.isRegularFile(source)) {
        throw new RecordingFailure("recording file " + source + " is gone");
      }
      return StoredObject.local(source.toString());
    }
    Path target = storageDir.get().resolve(kind.objectKey(tenantId, callId, callCreatedAt));
    if (!Files.exists(source)) {
      // an earlier attempt moved it and died before it could record that
      if (Files.isRegularFile(target) && Files.size(target) == bytes) {
        return StoredObject.local(target.toString());
      }
      throw new RecordingFailure("recording file " + source + " is gone and " + target + " does not hold it");
    }
    Files.createDirectories(target.getParent());
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      // another file system: copy under a temporary name, make it durable, then rename it into place
      Path partial = target.resolveSibling(target.getFileName() + ".partial");
      Files.copy(source, partial, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Files.delete(source);
    }
    return StoredObject.local(target.toString());
  }

  @Override
  public Audio audio(StoredObject stored, Path source, long bytes) {
    Path file = Path.of(stored.key());
    if (!Files.isRegularFile(file)) {
      throw new RecordingFailure("stored recording " + file + " is gone");
    }
    return new Audio(file, false);
  }

  @Override
  public void cleanup(StoredObject stored, Path source) {
    // nothing to remove: the stored file is the only copy
  }

  @Override
  public Download download(StoredObject stored) {
    return new LocalFile(Path.of(stored.key()));
  }

  @Override
  public void close() {
    // holds nothing open
  }
}
