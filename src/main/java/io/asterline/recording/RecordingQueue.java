package io.asterline.recording;

import io.asterline.call.CallEvents;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Enqueues a call's recording when call-end reports it, and a voicemail when voicemail-done reports it: one
 * insert, idempotent per call and kind, and it never throws into the AGI script. Should the insert fail, the
 * workers' sweep enqueues it later from the {@code recording_file} / {@code voicemail_file} stored on the call.
 */
public final class RecordingQueue implements CallEvents {

  private static final Logger log = LoggerFactory.getLogger(RecordingQueue.class);

  private final RecordingJobs jobs;
  private final Runnable enqueued;

  public RecordingQueue(RecordingJobs jobs, Runnable enqueued) {
    this.jobs = jobs;
    this.enqueued = enqueued;
  }

  @Override
  public void ended(UUID callId, long tenantId, String recordingFile) {
    enqueue(callId, tenantId, recordingFile, RecordingKind.CALL);
  }

  @Override
  public void voicemailLeft(UUID callId, long tenantId, String file) {
    enqueue(callId, tenantId, file, RecordingKind.VOICEMAIL);
  }

  private void enqueue(UUID callId, long tenantId, String file, RecordingKind kind) {
    if (callId == null || file == null || file.isBlank()) {
      return;
    }
    String what = kind == RecordingKind.VOICEMAIL ? "voicemail" : "recording";
    MDC.put("callId", callId.toString());
    try {
      if (jobs.enqueue(callId, tenantId, file.trim(), kind)) {
        log.debug("{} job enqueued for {}", what, file);
        enqueued.run();
      }
    } catch (RuntimeException e) {
      log.error("could not enqueue the {} {} ({}); the sweep will enqueue it later", what, file, e.toString());
    } finally {
      MDC.remove("callId");
    }
  }
}
