package io.asterline.recording;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.lifecycle.Lifecycle;
import io.asterline.http.HttpServer;
import io.asterline.realtime.OpenAiConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.jooq.DSLContext;

/** Wires the recording pipeline: storage, transcriber, workers, API routes and metrics. */
public final class Recordings {

  private Recordings() {}

  /**
   * Starts this node's workers (registered with the lifecycle, stopped before the database) and adds the
   * routes to {@code http} (before it starts). Returns the hook call-end reports ended calls to.
   */
  public static RecordingQueue start(RecordingConfig config, StorageConfig storageConfig, OpenAiConfig openai,
      DSLContext dsl, ObjectMapper json, MeterRegistry metrics, HttpServer http, Lifecycle lifecycle) {
    RecordingJobs jobs = new RecordingJobs(dsl);
    RecordingStorage storage = lifecycle.register("recording storage", storage(storageConfig));
    OpenAiTranscriber transcriber = lifecycle.register("transcription client",
        new OpenAiTranscriber(config, openai.apiKey(), json));
    RecordingProcessor processor = new RecordingProcessor(config, storageConfig.recordingsDir(), jobs, storage,
        transcriber, Clock.systemUTC());
    RecordingWorkers workers = lifecycle.register("recording workers",
        new RecordingWorkers(config, jobs, processor, RecordingWorkers.nodeName()).start(config.workers()));
    RecordingMetrics.bind(metrics, jobs);
    http.routes(new RecordingRoutes(jobs, storage, workers::wakeUp, new RecordingTickets(dsl)));
    return new RecordingQueue(jobs, workers::wakeUp);
  }

  static RecordingStorage storage(StorageConfig config) {
    return config.s3().<RecordingStorage>map(S3Storage::new).orElseGet(() -> new LocalStorage(config.storageDir()));
  }
}
