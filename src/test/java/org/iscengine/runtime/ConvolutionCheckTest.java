package org.iscengine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.bytedeco.pytorch.global.torch;
import org.iscengine.runtime.ConvolutionCheck.Configuration;
import org.iscengine.runtime.ConvolutionCheck.Failure;
import org.iscengine.runtime.ConvolutionCheck.Settings;
import org.iscengine.runtime.ConvolutionCheck.Status;
import org.iscengine.runtime.ConvolutionCheck.Trial;
import org.iscengine.runtime.ConvolutionCheck.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The convolution check's decisions, with faults injected into its child processes (a real
 * native crash, a hang, wrong results), and the verdict this process runs under.
 */
class ConvolutionCheckTest {
  /** Quick cases: a stem of the EfficientNets, a ResNet stem, an SE expansion with bias. */
  private static final List<Integer> FEW = List.of(1, 3, 4);

  @TempDir Path dir;

  private Settings settings(String faults, Duration caseTimeout) {
    return new Settings(dir, faults, FEW, caseTimeout, 1);
  }

  @Test
  void aCrashAsInstalledNamesItsCaseTheOthersStillRunAndTheFirstSafeFallbackIsChosen() {
    Settings s = settings("installed=crash@3", Duration.ofSeconds(120));
    Verdict v = ConvolutionCheck.determine(s);
    assertEquals(Status.PROTECTED, v.status(), v.toString());
    assertEquals(ConvolutionCheck.fallbacks().get(0), v.configuration());
    Trial installed = v.trials().get(0);
    assertEquals(Configuration.AS_INSTALLED, installed.configuration());
    assertEquals(2, installed.casesRun(), "the cases before and after the crash ran: " + installed);
    assertEquals(1, installed.failures().size(), installed.toString());
    Failure crash = installed.failures().get(0);
    assertEquals(3, crash.index());
    assertEquals(Failure.Kind.CRASHED, crash.kind());
    assertTrue(crash.problem().contains("SIGSEGV"), crash.problem());
    assertEquals(ConvolutionSuite.CASES.get(3).toString(), crash.convolution());
    assertTrue(v.reason().contains("1 of 3 cases failed"), v.reason());
    Path file = Path.of(v.file());
    assertTrue(Files.isRegularFile(file) && file.startsWith(dir), v.file());

    Verdict again = ConvolutionCheck.determine(s);
    assertEquals(v.checkedAt(), again.checkedAt(), "the cached verdict, not a new check");
    assertEquals(v.trials(), again.trials());
  }

  @Test
  void wrongResultsInEveryConfigurationFailAndFallbacksStopAtTheirFirstFailure() {
    Verdict v = ConvolutionCheck.determine(settings("*=wrong", Duration.ofSeconds(120)));
    assertEquals(Status.FAILED, v.status(), v.toString());
    assertEquals(1 + ConvolutionCheck.fallbacks().size(), v.trials().size());
    assertEquals(Configuration.WITHOUT_ONEDNN, v.trials().get(v.trials().size() - 1).configuration());
    assertEquals(FEW.size(), v.trials().get(0).failures().size(), "as installed lists every failing case");
    for (Trial t : v.trials().subList(1, v.trials().size())) {
      assertEquals(1, t.casesRun(), t.toString());
      assertEquals(Failure.Kind.WRONG, t.failures().get(0).kind());
      assertTrue(t.failures().get(0).problem().contains("0.10 on channels-last"), t.toString());
    }
  }

  @Test
  void aHangIsCutShortAndFallsBack() {
    Verdict v = ConvolutionCheck.determine(settings("installed=hang@4", Duration.ofSeconds(10)));
    assertEquals(Status.PROTECTED, v.status(), v.toString());
    Failure hang = v.trials().get(0).failures().get(0);
    assertEquals(Failure.Kind.HUNG, hang.kind());
    assertEquals(4, hang.index());
    assertTrue(hang.problem().contains("10 s"), hang.problem());
  }

  @Test
  void anUnreadableCachedVerdictIsCheckedAgainAndReplaced() throws Exception {
    Settings s = settings("", Duration.ofSeconds(120));
    Verdict first = ConvolutionCheck.determine(s);
    Files.writeString(Path.of(first.file()), "{ truncated");
    Verdict second = ConvolutionCheck.determine(s);
    assertNotEquals(first.checkedAt(), second.checkedAt());
    assertEquals(second.checkedAt(), ConvolutionCheck.determine(s).checkedAt());
  }

  @Test
  void theKeyChangesWithWhatTheVerdictDependsOn() {
    String base = ConvolutionCheck.key(settings("", Duration.ofSeconds(1)));
    assertEquals(base, ConvolutionCheck.key(settings("", Duration.ofSeconds(99))), "the timeout is no property");
    assertNotEquals(base, ConvolutionCheck.key(new Settings(dir, "", FEW, Duration.ofSeconds(1), 2)));
    assertNotEquals(base, ConvolutionCheck.key(new Settings(dir, "", List.of(1, 3), Duration.ofSeconds(1), 1)));
    assertNotEquals(base, ConvolutionCheck.key(settings("installed=wrong", Duration.ofSeconds(1))));
  }

  @Test
  void fallbacksGoDownFromTheInstalledLimitAndEndWithoutOnednn() {
    List<Configuration> list = ConvolutionCheck.fallbacks();
    assertEquals(Configuration.WITHOUT_ONEDNN, list.get(list.size() - 1));
    int installed = Processor.isaRank(ConvolutionCheck.installedIsaLimit());
    List<Integer> ranks = new ArrayList<>();
    for (Configuration c : list.subList(0, list.size() - 1)) {
      ranks.add(Processor.isaRank(c.maxIsa()));
      assertTrue(Processor.supports(c.maxIsa()), c.toString());
    }
    for (int i = 0; i < ranks.size(); i++) {
      assertTrue(ranks.get(i) < installed && (i == 0 || ranks.get(i) < ranks.get(i - 1)), list.toString());
    }
    assertTrue(Processor.isaRank("AVX2") < Processor.isaRank("AVX512_CORE"));
    assertEquals(Processor.isaRank(null), Processor.isaRank("SOMETHING_NEWER"));
  }

  @Test
  void theCrashReportGivesSignalAndFrame() throws Exception {
    Files.writeString(dir.resolve("hs_err_77.log"), """
        #
        # A fatal error has been detected by the Java Runtime Environment:
        #
        #  SIGFPE (0x8) at pc=0x00007f3c1b4a2fb2, pid=77, tid=78
        #
        # Problematic frame:
        # C  [libtorch_cpu.so+0xb778fb2]  dnnl::impl::cpu::x64::brg_blocking_t::est_eff_1x1()+0xa22
        #
        """);
    assertEquals("the process died: SIGFPE in C [libtorch_cpu.so+0xb778fb2]"
        + " dnnl::impl::cpu::x64::brg_blocking_t::est_eff_1x1()+0xa22", ConvolutionTrials.crash(dir, 77, 134));
    assertEquals("the process died (exit code 134)", ConvolutionTrials.crash(dir, 78, 134));
  }

  /**
   * Whatever configuration the check chose for this process, every case of the suite is now
   * within tolerance of float64 here, in both layouts.
   */
  @Test
  void everyCaseIsRightInThisProcessUnderItsVerdict() {
    Verdict v = ConvolutionCheck.ensure();
    assertNotEquals(Status.FAILED, v.status(), v.toString());
    List<String> wrong = IntStream.range(0, ConvolutionSuite.CASES.size()).mapToObj(ConvolutionSuite::run)
        .filter(r -> !r.passed()).map(Object::toString).toList();
    assertEquals(List.of(), wrong, "under " + v.configuration() + " (" + v.status() + ")");
    assertFalse(torch.globalContext().userEnabledNNPACK(), "NNPACK is not checked, so never used");
    assertEquals(v.configuration().onednn(), torch.globalContext().userEnabledMkldnn(), v.toString());
  }
}
