<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

/** Batches and reconciliation in-process through FFI, and a PHP process killed mid-batch. */
final class FfiBatchTest extends BatchTestCase
{
    protected function backendOptions(): array
    {
        return ['backend' => 'ffi', 'library' => Env::lib()];
    }

    protected function expectedBackend(): string
    {
        return 'ffi';
    }

    public function testAProcessKilledWithSigkillMidBatchAndRunAgainProvisionsEachSiteOnce(): void
    {
        $tag = 'phpkill' . bin2hex(random_bytes(3));
        $journal = self::journal();
        $items = self::items($tag, 1000);
        Sandbox::fault(['endpoint' => 'provision', 'site' => $tag, 'kind' => 'delay', 'delay_ms' => 20, 'count' => 0]);
        Sandbox::fault(['endpoint' => 'provision', 'site' => "$tag-lost", 'kind' => 'reset', 'count' => 0]);
        $script = sprintf(
            '<?php require %s; $c = new JetpackPartner\Client("12345", "sandbox-demo-secret", ["api_base" => %s, "timeout" => 2, "backend" => "ffi", "library" => %s]);'
            . ' foreach ($c->provisionMany(json_decode(stream_get_contents(STDIN), true), ["concurrency" => 16, "journal" => %s]) as $r) { echo $r["outcome"], "\n"; fflush(STDOUT); }',
            var_export(Env::packageDir() . '/autoload.php', true),
            var_export(Sandbox::url(), true),
            var_export(Env::lib(), true),
            var_export($journal, true)
        );
        $file = tempnam(sys_get_temp_dir(), 'jp-kill-') . '.php';
        file_put_contents($file, $script);
        $proc = proc_open([PHP_BINARY, '-d', 'ffi.enable=1', $file], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
        fwrite($pipes[0], json_encode($items));
        fclose($pipes[0]);
        for ($i = 0; $i < 250; $i++) {
            $this->assertNotFalse(fgets($pipes[1]), 'the run ended before the kill');
        }
        proc_terminate($proc, 9);
        fclose($pipes[1]);
        proc_close($proc);
        @unlink($file);
        $last = [];
        foreach (file($journal, FILE_IGNORE_NEW_LINES) as $line) {
            $event = json_decode($line, true);
            $last[$event['key']] = $event['event'];
        }
        $this->assertContains('started', $last, 'nothing was in flight at the kill');
        $this->assertLessThan(1000, array_sum(self::successes("https://$tag-")));

        $outcomes = [];
        foreach ($this->client(['timeout' => 2])->provisionMany($items, ['concurrency' => 16, 'journal' => $journal]) as $r) {
            $outcomes[$r['outcome']] = ($outcomes[$r['outcome']] ?? 0) + 1;
        }
        $this->assertGreaterThanOrEqual(250, $outcomes['already_done'] ?? 0, json_encode($outcomes));
        $this->assertArrayNotHasKey('failed', $outcomes);
        $this->assertArrayNotHasKey('unknown', $outcomes);
        $per = self::successes("https://$tag-");
        $this->assertCount(1000, $per);
        $this->assertSame([1], array_values(array_unique($per)));
    }
}
