package io.asterline.app;

import io.asterline.feature.Feature;
import io.asterline.http.HttpServer;
import io.asterline.lifecycle.Lifecycle;
import java.util.LinkedHashMap;
import java.util.Map;
import org.asteriskjava.fastagi.AgiScript;

/**
 * Collects what each started feature gives the service: its routes and health checks for the HTTP server (before
 * it starts), its FastAGI scripts for the FastAGI server, and the feature itself for the lifecycle, which stops
 * features in reverse order of {@link #add}.
 */
final class Features {

  private final Lifecycle lifecycle;
  private final HttpServer http;
  private final Map<String, AgiScript> agiScripts = new LinkedHashMap<>();
  private final Map<String, String> scriptOwners = new LinkedHashMap<>();

  Features(Lifecycle lifecycle, HttpServer http) {
    this.lifecycle = lifecycle;
    this.http = http;
  }

  /** Adds a started feature; a FastAGI script name already served by another feature is a startup error. */
  <F extends Feature> F add(F feature) {
    lifecycle.register(feature.name(), feature);
    http.routes(feature.routes());
    feature.healthChecks().forEach(http::health);
    feature.agiScripts().forEach((name, script) -> {
      String owner = scriptOwners.putIfAbsent(name, feature.name());
      if (owner != null) {
        throw new IllegalStateException(feature.name() + " serves the FastAGI script '" + name + "', which "
            + owner + " already serves");
      }
      agiScripts.put(name, script);
    });
    return feature;
  }

  /** The FastAGI scripts of the features added so far, for the FastAGI server to serve beside its own. */
  Map<String, AgiScript> agiScripts() {
    return Map.copyOf(agiScripts);
  }
}
