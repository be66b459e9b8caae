package io.asterline.recording;

import io.asterline.recording.RecordingJobs.Job;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs the steps of one claimed job, from the step it reached: capture (the file is complete and not empty),
 * store, transcribe (when the tenant has it on), clean up. Each step is recorded when it completes, so a job
 * taken over after a crash goes on from there; a step that was cut short is simply done again.
 */
final class RecordingProcessor {

  private static final Logger log = LoggerFactory.getLogger(RecordingProcessor.class);

  private final RecordingConfig config;
  private final Path recordingsDir;
  private final RecordingJobs jobs;
  private final RecordingStorage storage;
  private final Transcriber transcriber;
  private final Clock clock;

  RecordingProcessor(RecordingConfig config, Path recordingsDir, RecordingJobs jobs, RecordingStorage storage,
      Transcriber transcriber, Clock clock) {
    this.config = config;
    this.recordingsDir = recordingsDir.toAbsolutePath().normalize();
    this.jobs = jobs;
    this.storage = storage;
    this.transcriber = transcriber;
    this.clock = clock;
  }

  /** Runs the job; afterwards it is done, waiting for a retry, failed, or (when interrupted) handed back. */
  void process(Job job) {
    MDC.put("callId", job.callId().toString());
    try {
      run(job);
      log.info("recording job {} done (attempt {})", job.id(), job.attempts());
    } catch (RecordingJobs.LeaseLostException e) {
      log.warn("{}; leaving the job to it", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      handBack(job);
    } catch (RecordingFailure e) {
      failed(job, e.getMessage(), true);
    } catch (Exception e) {
      if (Thread.currentThread().isInterrupted()) {
        handBack(job);
      } else {
        failed(job, describe(e), job.attempts() >= config.maxAttempts());
      }
    } finally {
      MDC.remove("callId");
    }
  }

  private void run(Job job) throws IOException, InterruptedException {
    RecordingJobs.CallFacts call = jobs.callFacts(job.callId())
        .orElseThrow(() -> new RecordingFailure("call " + job.callId() + " no longer exists"));
    Path source = source(job.sourceFile());
    String step = job.step();
    long bytes = job.capturedBytes() == null ? 0 : job.capturedBytes();
    StoredObject stored = job.storageKey() == null ? null
        : new StoredObject(job.storage(), job.storageBucket(), job.storageKey());

    if (step.equals("capture")) {
      bytes = capture(source);
      jobs.captured(job, bytes, config.lease());
      step = "store";
    }
    if (step.equals("store")) {
      stored = storage.store(source, bytes, job.kind(), job.tenantId(), job.callId(), call.createdAt());
      jobs.stored(job, stored, config.lease());
      log.info("{} stored ({} {})", what(job), stored.storage(), stored.key());
      step = "transcribe";
    }
    if (step.equals("transcribe")) {
      if (call.transcriptionEnabled()) {
        transcribe(job, stored, source, bytes, call.language());
      } else {
        jobs.transcriptionSkipped(job);
      }
      step = "cleanup";
    }
    if (step.equals("cleanup")) {
      try {
        storage.cleanup(stored, source);
      } catch (IOException e) {
        // the recording is safe where it was stored; a leftover source file costs only disk space
        log.warn("could not remove the local copy {}: {}", source, e.toString());
      }
      jobs.finished(job);
    }
  }

  private void transcribe(Job job, StoredObject stored, Path source, long bytes, String language)
      throws IOException, InterruptedException {
    RecordingStorage.Audio audio = storage.audio(stored, source, bytes);
    try {
      Transcriber.Transcript t = transcriber.transcribe(audio.file(), job.kind().fileName(job.callId()), iso639(language),
          () -> jobs.renew(job, config.lease()));
      jobs.transcribed(job, t.text(), t.parts());
      log.info("{} transcribed ({} part(s), {} characters)", what(job), t.parts(), t.text().length());
    } finally {
      if (audio.temporary()) {
        Files.deleteIfExists(audio.file());
      }
    }
  }

  /**
   * Waits until the file is complete: its size has not changed for {@code recordings.settle} (MixMonitor
   * may still be flushing when call-end runs). Returns its size.
   */
  private long capture(Path source) throws IOException, InterruptedException {
    if (!Files.exists(source)) {
      throw new RecordingFailure("recording file " + source + " does not exist");
    }
    if (!Files.isRegularFile(source)) {
      throw new RecordingFailure("recording file " + source + " is not a regular file");
    }
    Instant deadline = clock.instant().plus(config.settleTimeout());
    long size = Files.size(source);
    while (!quietFor(source, config.settle())) {
      Thread.sleep(config.settle().toMillis());
      long now = Files.size(source);
      if (now == size) {
        break;
      }
      size = now;
      if (clock.instant().isAfter(deadline)) {
        throw new IOException("recording file " + source + " was still growing after "
            + config.settleTimeout().toSeconds() + "s (" + size + " bytes)");
      }
    }
    size = Files.size(source);
    if (size == 0) {
      throw new RecordingFailure("recording file " + source + " is empty (0 bytes): nothing was recorded");
    }
    return size;
  }

  private boolean quietFor(Path file, Duration settle) throws IOException {
    Instant modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant();
    return modified.plus(settle).isBefore(clock.instant());
  }

  /** The job's file, which must lie inside the recordings folder (the name comes from the dialplan). */
  private Path source(String file) throws IOException {
    Path path = recordingsDir.resolve(file).normalize();
    if (!path.startsWith(recordingsDir)) {
      throw new RecordingFailure("recording file " + file + " is outside recordings.dir (" + recordingsDir + ")");
    }
    if (Files.exists(path) && !path.toRealPath().startsWith(recordingsDir.toRealPath())) {
      throw new RecordingFailure("recording file " + file + " leads outside recordings.dir (" + recordingsDir + ")");
    }
    return path;
  }

  private void failed(Job job, String error, boolean giveUp) {
    Duration wait = giveUp ? Duration.ZERO : config.backoff(job.attempts());
    try {
      String state = jobs.attemptFailed(job, error, wait, giveUp);
      if (RecordingJobState.FAILED.is(state)) {
        log.error("recording job {} failed after {} attempt(s): {}", job.id(), job.attempts(), error);
      } else {
        log.warn("recording job {} attempt {} failed, next in {}ms: {}", job.id(), job.attempts(), wait.toMillis(),
            error);
      }
    } catch (RecordingJobs.LeaseLostException e) {
      log.warn("{}; its attempt failed meanwhile: {}", e.getMessage(), error);
    } catch (RuntimeException e) {
      // the lease runs out and another worker takes the job again
      log.warn("could not record the failure of recording job {} ({}): {}", job.id(), e.toString(), error);
    }
  }

  private void handBack(Job job) {
    // the pool will not hand a connection to an interrupted thread; the flag is restored below
    boolean interrupted = Thread.interrupted();
    try {
      jobs.release(job);
      log.info("recording job {} handed back: this node is stopping", job.id());
    } catch (RuntimeException e) {
      log.warn("could not hand back recording job {}: {}; it is taken again when its lease ends", job.id(),
          e.toString());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static String what(Job job) {
    return job.kind() == RecordingKind.VOICEMAIL ? "voicemail" : "recording";
  }

  private static String describe(Exception e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  private static String iso639(String language) {
    if (language == null || language.length() < 2) {
      return null;
    }
    return language.substring(0, 2).toLowerCase(Locale.ROOT);
  }
}
