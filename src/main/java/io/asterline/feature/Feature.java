package io.asterline.feature;

import io.asterline.http.HealthCheck;
import io.javalin.Javalin;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.asteriskjava.fastagi.AgiScript;

/**
 * What one started feature gives the service, the same four things for every feature: its HTTP routes, its parts
 * of {@code /health}, its FastAGI scripts and how it stops. Each feature package has one static
 * {@code start(config, deps)} returning its handle (a class implementing this, with whatever else later features
 * need from it, e.g. the DID service outbound picks caller ids from); {@code app.Asterline} starts them in
 * dependency order, hands the routes to the HTTP server, the scripts to the FastAGI server and the handle to the
 * lifecycle, which stops features in reverse order. A feature that gives nothing of a kind keeps the default.
 */
public interface Feature extends AutoCloseable {

  /** How the lifecycle names it in the log ({@code stopped <name>}). */
  String name();

  /** Its routes, added to the HTTP server before it starts. */
  default Consumer<Javalin> routes() {
    return app -> { };
  }

  /** Its parts of {@code /health}, in the order shown. */
  default List<HealthCheck> healthChecks() {
    return List.of();
  }

  /** The FastAGI scripts its dialplan calls, by URL path ({@code agi://host/<name>}). */
  default Map<String, AgiScript> agiScripts() {
    return Map.of();
  }

  /** Stops what it started (threads, sockets, clients); called once, after every feature started later stopped. */
  @Override
  default void close() {
  }
}
