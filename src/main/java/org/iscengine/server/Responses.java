package org.iscengine.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The JSON bodies the server answers with, serialised by Jackson in the order of their components. */
final class Responses {
  private Responses() {}

  /** A body and the status it is sent with. */
  record Reply(int status, Object body) {
    static Reply ok(Object body) {
      return new Reply(200, body);
    }

    static Reply created(Object body) {
      return new Reply(201, body);
    }
  }

  /** GET /healthz, GET /readyz (references only when ready). */
  record Health(String status) {}

  record Ready(String status, long references) {}

  /** GET /v1/info. */
  record Info(String model, int dimension, long references, double threshold) {}

  /** POST /v1/match: the best references, each called a copy or not against the threshold. */
  record Matches(boolean isCopy, double threshold, List<Match> matches) {}

  record Match(String id, float score, boolean copy) {}

  /** POST /v1/describe. */
  record Described(int dimension, float[] descriptor) {}

  /** PUT /v1/references/{id}. */
  record Added(String id, long references) {}

  /** POST /v1/references. */
  record AddedMany(int added, long references) {}

  /** DELETE /v1/references/{id}. */
  record Removed(String id, boolean removed, long references) {}

  /** Any refusal or failure; a failure on the server's side names the log lines that tell more. */
  record Error(String error, int status, @JsonInclude(JsonInclude.Include.NON_NULL) String errorId) {}

  /** GET /metrics: Prometheus text, not JSON. */
  record Text(String text) {}

  /** A body that is neither JSON nor text: the page, a thumbnail. */
  record Bytes(String contentType, byte[] bytes) {}
}
