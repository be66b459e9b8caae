package io.asterline.recording;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * OpenAI {@code POST /v1/audio/transcriptions} (multipart: file, model, response_format=json, language,
 * prompt). A recording larger than the upload limit is sent as several WAV parts, each prompted with the end
 * of the text before it so sentences carry over, and the texts are joined.
 */
final class OpenAiTranscriber implements Transcriber, AutoCloseable {

  /** How much of the previous part's text is sent as the next part's prompt. */
  private static final int PROMPT_TAIL = 200;

  private final URI endpoint;
  private final String model;
  private final Optional<String> apiKey;
  private final long maxBytes;
  private final Duration timeout;
  private final ObjectMapper json;
  private final ExecutorService executor;
  private final HttpClient http;

  OpenAiTranscriber(RecordingConfig config, Optional<String> apiKey, ObjectMapper json) {
    this.endpoint = URI.create(config.transcriptionUrl() + "/audio/transcriptions");
    this.model = config.transcriptionModel();
    this.apiKey = apiKey;
    this.maxBytes = config.transcriptionMaxBytes();
    this.timeout = config.transcriptionTimeout();
    this.json = json;
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "transcription-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.http = HttpClient.newBuilder()
        .executor(executor)
        .connectTimeout(Duration.ofSeconds(10))
        .version(HttpClient.Version.HTTP_1_1)
        .build();
  }

  @Override
  public Transcript transcribe(Path audio, String fileName, String language, Runnable beforeUpload)
      throws IOException, InterruptedException {
    if (apiKey.isEmpty()) {
      throw new RecordingFailure("transcription needs openai.api-key (OPENAI_API_KEY), which is not set");
    }
    long size = Files.size(audio);
    if (size <= maxBytes) {
      beforeUpload.run();
      long length = size;
      String text = upload(fileName, () -> Files.newInputStream(audio), length, language, null);
      return new Transcript(text, 1);
    }
    WavParts wav;
    try {
      wav = WavParts.read(audio);
    } catch (IOException e) {
      throw new RecordingFailure(audio + " is " + size + " bytes, more than transcription.max-upload-bytes ("
          + maxBytes + "), and cannot be split: " + e.getMessage());
    }
    List<WavParts.Part> parts = wav.split(maxBytes);
    List<String> texts = new ArrayList<>();
    String base = fileName.endsWith(".wav") ? fileName.substring(0, fileName.length() - 4) : fileName;
    for (WavParts.Part part : parts) {
      beforeUpload.run();
      String previous = texts.isEmpty() ? null : tail(texts.get(texts.size() - 1));
      String name = base + ".part" + part.index() + "of" + part.count() + ".wav";
      texts.add(upload(name, () -> part.open(audio), part.size(), language, previous));
    }
    return new Transcript(String.join(" ", texts.stream().map(String::strip).filter(t -> !t.isEmpty()).toList()),
        parts.size());
  }

  @FunctionalInterface
  private interface Source {
    InputStream open() throws IOException;
  }

  private String upload(String fileName, Source audio, long audioBytes, String language, String prompt)
      throws IOException, InterruptedException {
    String boundary = "asterline-" + UUID.randomUUID();
    StringBuilder head = new StringBuilder();
    field(head, boundary, "model", model);
    field(head, boundary, "response_format", "json");
    if (language != null) {
      field(head, boundary, "language", language);
    }
    if (prompt != null && !prompt.isBlank()) {
      field(head, boundary, "prompt", prompt);
    }
    head.append("--").append(boundary).append("\r\n")
        .append("Content-Disposition: form-data; name=\"file\"; filename=\"").append(fileName).append("\"\r\n")
        .append("Content-Type: ").append(fileName.endsWith(".wav") ? "audio/wav" : "application/octet-stream")
        .append("\r\n\r\n");
    byte[] before = head.toString().getBytes(StandardCharsets.UTF_8);
    byte[] after = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
    long length = before.length + audioBytes + after.length;
    HttpRequest request = HttpRequest.newBuilder(endpoint)
        .timeout(timeout)
        .header("Authorization", "Bearer " + apiKey.get())
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
          try {
            return new SequenceInputStream(Collections.enumeration(List.of(
                new ByteArrayInputStream(before), audio.open(), new ByteArrayInputStream(after))));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }), length))
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    if (response.statusCode() / 100 != 2) {
      throw new IOException("transcription of " + fileName + " failed: HTTP " + response.statusCode() + ": "
          + errorMessage(response.body()));
    }
    JsonNode text;
    try {
      text = json.readTree(response.body()).get("text");
    } catch (IOException e) {
      throw new IOException("transcription of " + fileName + " answered something that is not JSON", e);
    }
    if (text == null || !text.isTextual()) {
      throw new IOException("transcription of " + fileName + " answered JSON without a text");
    }
    return text.asText();
  }

  private static void field(StringBuilder b, String boundary, String name, String value) {
    b.append("--").append(boundary).append("\r\n")
        .append("Content-Disposition: form-data; name=\"").append(name).append("\"\r\n\r\n")
        .append(value).append("\r\n");
  }

  /** OpenAI's own error message, without anything that looks like a key (it echoes part of a wrong one). */
  private String errorMessage(String body) {
    String message;
    try {
      JsonNode m = json.readTree(body).path("error").path("message");
      message = m.isTextual() ? m.asText() : body;
    } catch (IOException e) {
      message = body;
    }
    if (message.length() > 300) {
      message = message.substring(0, 300) + "...";
    }
    String clean = message.replaceAll("sk-[A-Za-z0-9_*.-]+", "sk-(hidden)");
    return apiKey.map(k -> clean.replace(k, "(hidden)")).orElse(clean);
  }

  private static String tail(String text) {
    String t = text.strip();
    return t.length() <= PROMPT_TAIL ? t : t.substring(t.length() - PROMPT_TAIL);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
