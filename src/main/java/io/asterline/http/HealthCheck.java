package io.asterline.http;

/**
 * One part of the service as {@code /health} shows it. A critical part that is down turns the whole
 * answer into 503; a non-critical one (e.g. AMI, which only outbound calls need) is reported but leaves 200.
 */
public interface HealthCheck {

  enum State { UP, DOWN, DEGRADED, STARTING, STOPPING }

  record Status(State state, String detail) {
    public static Status up(String detail) {
      return new Status(State.UP, detail);
    }

    public static Status down(String detail) {
      return new Status(State.DOWN, detail);
    }
  }

  String name();

  boolean critical();

  /** Must answer within a couple of seconds; it is called on every /health request. */
  Status check();
}
