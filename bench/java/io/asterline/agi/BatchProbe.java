package io.asterline.agi;

import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.call.CallRepository;
import io.asterline.db.TestDatabase;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What the FastAGI batch statements cost inside PostgreSQL per request, by batch size (bench/agi/db). Lives in the
 * agi package because the repository is package-private.
 */
public final class BatchProbe {
  public static void main(String[] args) throws Exception {
    TestDatabase.Db db = TestDatabase.fresh(4);
    long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "bench").set(TENANT.MAX_CONCURRENT_CALLS, 1_000_000)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551234567").set(DID.TRUNK, "TWILIO").execute();
    AgiRepository repo = new AgiRepository(db.dsl());
    for (int size : new int[] {1, 1, 8, 32, 128}) {
      int rounds = size == 1 ? 3000 : 30000 / size;
      long inNs = 0, endNs = 0;
      for (int r = 0; r < rounds; r++) {
        List<AgiRepository.InboundAsk> asks = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          asks.add(new AgiRepository.InboundAsk(UUID.randomUUID(), "+15551234567", null, "+15557654321", "1.2", "PJSIP/x",
              OffsetDateTime.now(ZoneOffset.UTC)));
        }
        long t0 = System.nanoTime();
        repo.admitInboundBatch(asks, 1_000_000, 3600);
        long t1 = System.nanoTime();
        List<CallRepository.EndAsk> ends = new ArrayList<>();
        for (var a : asks) {
          ends.add(new CallRepository.EndAsk(a.callId(), "ANSWER", "16", "/x.wav", OffsetDateTime.now(ZoneOffset.UTC)));
        }
        repo.calls().ended(ends);
        long t2 = System.nanoTime();
        inNs += t1 - t0;
        endNs += t2 - t1;
      }
      System.out.printf("batch %4d: inbound %.3f ms/batch (%.1f us/item), call-end %.3f ms/batch (%.1f us/item)%n", size,
          inNs / 1e6 / rounds, inNs / 1e3 / rounds / size, endNs / 1e6 / rounds, endNs / 1e3 / rounds / size);
    }
    db.close();
    System.exit(0);
  }
}
