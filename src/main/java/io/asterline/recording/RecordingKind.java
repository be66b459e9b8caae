package io.asterline.recording;

import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

/**
 * The two kinds of audio a call can leave, and the one place their file names and storage keys are made: the
 * call's recording (MixMonitor, {@code <call id>.wav}) and the voicemail a caller left (Record(),
 * {@code <call id>-voicemail.wav}). Asterisk writes both under {@code <recordings.dir>/<tenant>/}; storage keeps
 * them under {@code <tenant>/<yyyy>/<mm>/<dd>/} with the same name, so a call's files sit side by side.
 */
public enum RecordingKind {
  CALL("call", ".wav"),
  VOICEMAIL("voicemail", "-voicemail.wav");

  private final String value;
  private final String suffix;

  RecordingKind(String value, String suffix) {
    this.value = value;
    this.suffix = suffix;
  }

  /** As stored in {@code recording_job.kind}. */
  public String value() {
    return value;
  }

  public static RecordingKind of(String value) {
    for (RecordingKind k : values()) {
      if (k.value.equals(value)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown recording kind '" + value + "'; one of call, voicemail");
  }

  /** {@code <call id>.wav} or {@code <call id>-voicemail.wav}. */
  public String fileName(UUID callId) {
    return callId + suffix;
  }

  /** The absolute path Asterisk writes to: {@code <recordings dir>/<tenant>/<file name>}. */
  public Path file(Path recordingsDir, long tenantId, UUID callId) {
    return recordingsDir.toAbsolutePath().normalize().resolve(Long.toString(tenantId)).resolve(fileName(callId));
  }

  /** {@code <tenant>/<yyyy>/<mm>/<dd>/<file name>}, dated by the call's start in UTC. */
  public String objectKey(long tenantId, UUID callId, OffsetDateTime callCreatedAt) {
    OffsetDateTime utc = callCreatedAt.withOffsetSameInstant(ZoneOffset.UTC);
    return String.format("%d/%04d/%02d/%02d/%s", tenantId, utc.getYear(), utc.getMonthValue(), utc.getDayOfMonth(),
        fileName(callId));
  }
}
