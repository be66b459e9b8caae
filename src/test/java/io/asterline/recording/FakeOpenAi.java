package io.asterline.recording;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI's transcription endpoint as a local HTTP server: it parses each multipart request the way the
 * real service would (rejecting one without a file or a model) and answers with a JSON text, or with the
 * status a test asks for.
 */
final class FakeOpenAi implements AutoCloseable {

  static final String API_KEY = "sk-test-0123456789abcdef";

  /** One part of a multipart body. */
  record Part(String name, String fileName, String contentType, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** One request as received. */
  record Request(String method, String path, String authorization, String contentType, Map<String, Part> parts) {}

  /** What to answer: a status and a body. */
  record Answer(int status, String body) {
    static Answer text(String text) {
      return new Answer(200, "{\"text\":\"" + text.replace("\"", "\\\"") + "\",\"usage\":{\"type\":\"duration\"}}");
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile Function<Request, Answer> answers = r -> Answer.text("hello from " + r.parts().get("file").fileName());

  FakeOpenAi() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    executor = Executors.newFixedThreadPool(2, r -> new Thread(r, "fake-openai"));
    server.setExecutor(executor);
    server.createContext("/v1/audio/transcriptions", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  void answer(Function<Request, Answer> answers) {
    this.answers = answers;
  }

  private void handle(HttpExchange ex) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    String contentType = ex.getRequestHeaders().getFirst("Content-Type");
    Answer answer;
    Request request = null;
    try {
      Matcher m = Pattern.compile("multipart/form-data; boundary=(.+)").matcher(contentType == null ? "" : contentType);
      if (!ex.getRequestMethod().equals("POST") || !m.matches()) {
        answer = new Answer(400, "{\"error\":{\"message\":\"expected a multipart POST\"}}");
      } else {
        Map<String, Part> parts = parse(body, m.group(1));
        request = new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(),
            ex.getRequestHeaders().getFirst("Authorization"), contentType, parts);
        requests.add(request);
        if (!("Bearer " + API_KEY).equals(request.authorization())) {
          answer = new Answer(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + request.authorization()
              + "\"}}");
        } else if (!parts.containsKey("file") || !parts.containsKey("model")) {
          answer = new Answer(400, "{\"error\":{\"message\":\"file and model are required\"}}");
        } else {
          answer = answers.apply(request);
        }
      }
    } catch (RuntimeException e) {
      answer = new Answer(400, "{\"error\":{\"message\":\"" + e.getMessage() + "\"}}");
    }
    byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(answer.status(), out.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(out);
    }
  }

  /** A strict multipart/form-data parser: CRLF line ends, a closing delimiter, a name on every part. */
  static Map<String, Part> parse(byte[] body, String boundary) {
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
    Map<String, Part> parts = new LinkedHashMap<>();
    int pos = indexOf(body, delimiter, 0);
    if (pos != 0) {
      throw new IllegalArgumentException("body does not start with the boundary");
    }
    while (true) {
      pos += delimiter.length;
      if (body[pos] == '-' && body[pos + 1] == '-') {
        return parts;
      }
      if (body[pos] != '\r' || body[pos + 1] != '\n') {
        throw new IllegalArgumentException("boundary not followed by CRLF");
      }
      pos += 2;
      int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), pos);
      String headers = new String(body, pos, headersEnd - pos, StandardCharsets.UTF_8);
      int next = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII), headersEnd + 4);
      if (next < 0) {
        throw new IllegalArgumentException("part without a closing boundary");
      }
      byte[] content = Arrays.copyOfRange(body, headersEnd + 4, next);
      String name = null;
      String fileName = null;
      String type = null;
      for (String h : headers.split("\r\n")) {
        Matcher n = Pattern.compile("(?i)Content-Disposition: form-data; name=\"([^\"]+)\"(?:; filename=\"([^\"]+)\")?").matcher(h);
        if (n.matches()) {
          name = n.group(1);
          fileName = n.group(2);
        } else if (h.regionMatches(true, 0, "Content-Type:", 0, 13)) {
          type = h.substring(13).strip();
        }
      }
      if (name == null) {
        throw new IllegalArgumentException("part without a name: " + headers);
      }
      parts.put(name, new Part(name, fileName, type, content));
      pos = next + 2;
    }
  }

  private static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = from; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  List<Request> requests() {
    return new ArrayList<>(requests);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
