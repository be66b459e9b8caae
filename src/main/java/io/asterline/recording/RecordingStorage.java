package io.asterline.recording;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Where finished recordings are kept. Every operation may be repeated after a crash at any point and
 * still leaves exactly one stored copy: names are derived from the call, never from the attempt.
 */
public interface RecordingStorage extends AutoCloseable {

  /** Keeps the captured file ({@code bytes} long) of this kind and says where it now is. */
  StoredObject store(Path source, long bytes, RecordingKind kind, long tenantId, UUID callId,
      OffsetDateTime callCreatedAt) throws IOException;

  /** Keeps a call's recording. */
  default StoredObject store(Path source, long bytes, long tenantId, UUID callId, OffsetDateTime callCreatedAt)
      throws IOException {
    return store(source, bytes, RecordingKind.CALL, tenantId, callId, callCreatedAt);
  }

  /** A local file with the stored audio, for the transcription; {@code temporary} ones are deleted after. */
  Audio audio(StoredObject stored, Path source, long bytes) throws IOException;

  /** After the last step: removes what is no longer needed (the local source of an uploaded file). */
  void cleanup(StoredObject stored, Path source) throws IOException;

  /** How the API hands a stored recording out. */
  Download download(StoredObject stored);

  @Override
  void close();

  /** A readable copy of the audio. */
  record Audio(Path file, boolean temporary) {}

  /** The audio itself (local storage) or a link valid until {@code expiresAt} (S3). */
  sealed interface Download permits LocalFile, Link {}

  record LocalFile(Path file) implements Download {}

  record Link(URI url, Instant expiresAt) implements Download {}
}
