package io.asterline.recording;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.feature.Feature;
import io.asterline.lifecycle.Lifecycle;
import io.asterline.realtime.OpenAiConfig;
import io.javalin.Javalin;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/**
 * The recording feature started: storage, transcriber, this node's workers, API routes and metrics, and the
 * {@link #queue() queue} call-end reports ended calls to. Closing it stops the workers, then the transcription
 * client, then the storage.
 */
public final class Recordings implements Feature {

  private final Lifecycle parts;
  private final RecordingRoutes routes;
  private final RecordingQueue queue;

  private Recordings(Lifecycle parts, RecordingRoutes routes, RecordingQueue queue) {
    this.parts = parts;
    this.routes = routes;
    this.queue = queue;
  }

  public static Recordings start(RecordingConfig config, StorageConfig storageConfig, OpenAiConfig openai,
      DSLContext dsl, ObjectMapper json, MeterRegistry metrics) {
    // its own parts stop in reverse order of start, as the service's do
    Lifecycle parts = new Lifecycle();
    try {
      RecordingJobs jobs = new RecordingJobs(dsl);
      RecordingStorage storage = parts.register("recording storage", storage(storageConfig));
      OpenAiTranscriber transcriber = parts.register("transcription client",
          new OpenAiTranscriber(config, openai.apiKey(), json));
      RecordingProcessor processor = new RecordingProcessor(config, storageConfig.recordingsDir(), jobs, storage,
          transcriber, Clock.systemUTC());
      RecordingWorkers workers = parts.register("recording workers",
          new RecordingWorkers(config, jobs, processor, RecordingWorkers.nodeName()).start(config.workers()));
      RecordingMetrics.bind(metrics, jobs);
      return new Recordings(parts, new RecordingRoutes(jobs, storage, workers::wakeUp, new RecordingTickets(dsl)),
          new RecordingQueue(jobs, workers::wakeUp));
    } catch (RuntimeException e) {
      parts.close();
      throw e;
    }
  }

  static RecordingStorage storage(StorageConfig config) {
    return config.s3().<RecordingStorage>map(S3Storage::new).orElseGet(() -> new LocalStorage(config.storageDir()));
  }

  /** The CallEvents the FastAGI call-end script reports ended calls to (it enqueues their recordings). */
  public RecordingQueue queue() {
    return queue;
  }

  @Override
  public String name() {
    return "recording";
  }

  @Override
  public Consumer<Javalin> routes() {
    return routes;
  }

  @Override
  public void close() {
    parts.close();
  }
}
