package io.asterline.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.config.Json;
import io.asterline.feature.Feature;
import io.asterline.http.HealthCheck;
import io.asterline.http.HttpConfig;
import io.asterline.http.HttpServer;
import io.asterline.lifecycle.Lifecycle;
import io.javalin.Javalin;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.asteriskjava.fastagi.AgiScript;
import org.junit.jupiter.api.Test;

/** What a feature gives reaches the service once: routes served over HTTP, health shown, scripts collected. */
class FeaturesTest {

  private final List<String> stopped = new ArrayList<>();

  @Test
  void routesHealthAndScriptsOfEachFeatureReachTheServersAndFeaturesStopInReverse() throws Exception {
    Lifecycle lifecycle = new Lifecycle();
    HttpServer http = new HttpServer(new HttpConfig(InetAddress.getLoopbackAddress(), 0, Optional.empty(),
        Optional.empty()), Json.mapper());
    Features features = new Features(lifecycle, http);
    AgiScript answered = (request, channel) -> { };
    features.add(feature("first", app -> app.get("/first", ctx -> ctx.result("from first")), "first-part",
        Map.of("first-script", answered)));
    features.add(feature("second", app -> app.get("/second", ctx -> ctx.result("from second")), "second-part",
        Map.of()));
    lifecycle.register("http", http.start());
    try {
      assertThat(get(http, "/first")).isEqualTo("from first");
      assertThat(get(http, "/second")).isEqualTo("from second");
      assertThat(http.checks()).extracting(HealthCheck::name).containsExactly("first-part", "second-part");
      assertThat(features.agiScripts()).containsExactly(Map.entry("first-script", answered));
    } finally {
      lifecycle.close();
    }
    assertThat(stopped).containsExactly("second", "first");
  }

  @Test
  void twoFeaturesServingOneScriptNameFailTheStartNamingBoth() {
    Features features = new Features(new Lifecycle(), new HttpServer(new HttpConfig(InetAddress.getLoopbackAddress(),
        0, Optional.empty(), Optional.empty()), Json.mapper()));
    features.add(feature("outbound", app -> { }, "ami", Map.of("ping", (request, channel) -> { })));

    assertThatThrownBy(() -> features.add(feature("doctor", app -> { }, "doctor", Map.of("ping",
        (request, channel) -> { }))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("doctor serves the FastAGI script 'ping', which outbound already serves");
  }

  private Feature feature(String name, Consumer<Javalin> routes, String check, Map<String, AgiScript> scripts) {
    return new Feature() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Consumer<Javalin> routes() {
        return routes;
      }

      @Override
      public List<HealthCheck> healthChecks() {
        return List.of(new HealthCheck() {
          @Override
          public String name() {
            return check;
          }

          @Override
          public boolean critical() {
            return false;
          }

          @Override
          public Status check() {
            return Status.up("fine");
          }
        });
      }

      @Override
      public Map<String, AgiScript> agiScripts() {
        return scripts;
      }

      @Override
      public void close() {
        stopped.add(name);
      }
    };
  }

  private static String get(HttpServer http, String path) throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://" + http.host() + ":" + http.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    return response.body();
  }
}
