<?php

declare(strict_types=1);

namespace JetpackPartner\Tests;

use JetpackPartner\Client;
use JetpackPartner\Exception;
use JetpackPartner\InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/**
 * provisionMany(), cancelMany() and reconcile() against the sandbox: a thousand items with
 * faults, each provisioned exactly once (the sandbox's request log), a re-run through the
 * journal, malformed items, reconciliation with its fix. FfiBatchTest runs them in-process,
 * CliBatchTest through the command-line fallback.
 */
abstract class BatchTestCase extends TestCase
{
    use UsesClient;

    /** @return array<string, int> successful provisions per site, for the sites starting with $prefix */
    protected static function successes(string $prefix): array
    {
        $per = [];
        foreach (Sandbox::control('GET', 'requests?endpoint=provision')['requests'] as $r) {
            if ($r['status'] === 200 && str_starts_with($r['site'], $prefix)) {
                $per[$r['site']] = ($per[$r['site']] ?? 0) + 1;
            }
        }
        return $per;
    }

    /** @return list<array<string, string>> */
    protected static function items(string $tag, int $n): array
    {
        $items = [];
        for ($i = 0; $i < $n; $i++) {
            $items[] = [
                'key' => "$tag-order-$i",
                'local_user' => 'admin',
                'siteurl' => sprintf('https://%s-%s-%d.example/', $tag, $i % 40 === 7 ? 'lost' : 'ok', $i),
                'plan' => $i % 2 ? 'premium' : 'jetpack-scan',
            ];
        }
        return $items;
    }

    protected static function journal(): string
    {
        $path = sys_get_temp_dir() . '/jp-php-batch-' . bin2hex(random_bytes(6)) . '.jsonl';
        register_shutdown_function(static fn () => @unlink($path));
        return $path;
    }

    public function testAThousandItemsWithFaultsAreEachProvisionedOnce(): void
    {
        $tag = 'php' . bin2hex(random_bytes(3));
        Sandbox::fault(['endpoint' => 'provision', 'site' => "$tag-lost", 'kind' => 'reset', 'count' => 0]);
        Sandbox::fault(['endpoint' => 'provision', 'site' => $tag, 'kind' => 'status', 'status' => 429, 'retry_after' => 1, 'count' => 3]);
        $journal = self::journal();
        $client = $this->client();
        $outcomes = [];
        $indexes = [];
        foreach ($client->provisionMany(self::items($tag, 1000), ['concurrency' => 16, 'journal' => $journal]) as $r) {
            $outcomes[$r['outcome']] = ($outcomes[$r['outcome']] ?? 0) + 1;
            $indexes[] = $r['index'];
            $this->assertNull($r['exception'], $r['key'] . ': ' . ($r['exception'] ? $r['exception']->getMessage() : ''));
        }
        ksort($outcomes);
        $this->assertSame(['confirmed' => 25, 'done' => 975], $outcomes);
        sort($indexes);
        $this->assertSame(range(0, 999), $indexes);
        $per = self::successes("https://$tag-");
        $this->assertCount(1000, $per);
        $this->assertSame([1], array_values(array_unique($per)));

        $again = iterator_to_array($client->provisionMany(self::items($tag, 1000), ['journal' => $journal]), false);
        $this->assertSame(['already_done'], array_values(array_unique(array_column($again, 'outcome'))));
        $this->assertSame($per, self::successes("https://$tag-"));
    }

    public function testMalformedItemsFailAloneWithTheirPosition(): void
    {
        $tag = 'phpbad' . bin2hex(random_bytes(3));
        $good = ['key' => "$tag-g", 'local_user' => 'admin', 'siteurl' => "https://$tag-good.example/", 'plan' => 'premium'];
        $results = [];
        foreach ($this->client()->provisionMany([
            $good,
            'not an array',
            ['key' => "$tag-nourl", 'local_user' => 'admin'],
            ['key' => "$tag-port", 'local_user' => 'admin', 'siteurl' => "https://$tag-x.example/", 'ssh_port' => 0],
            ['key' => "$tag-g", 'local_user' => 'admin', 'siteurl' => "https://$tag-dup.example/"],
        ]) as $r) {
            $results[$r['index']] = $r;
        }
        ksort($results);
        $this->assertSame([0, 1, 2, 3, 4], array_keys($results));
        $this->assertSame('done', $results[0]['outcome']);
        $this->assertTrue($results[0]['reply']['success']);
        foreach ([1 => 'item', 2 => 'siteurl', 3 => 'ssh_port', 4 => 'key'] as $index => $field) {
            $this->assertSame('failed', $results[$index]['outcome'], (string) $index);
            $this->assertInstanceOf(InvalidArgumentException::class, $results[$index]['exception']);
            $this->assertStringContainsString($field, $results[$index]['exception']->getMessage());
        }
        $this->assertSame(["https://$tag-good.example/" => 1], self::successes("https://$tag-"));
        $this->thrown(InvalidArgumentException::class, fn () => $this->client()->provisionMany([$good], ['concurrency' => 65]));
        $this->thrown(InvalidArgumentException::class, fn () => $this->client()->provisionMany([$good], ['colour' => 1]));
    }

    public function testCancelManyAndLeavingEarly(): void
    {
        $client = $this->client();
        $sites = [];
        for ($i = 0; $i < 20; $i++) {
            $sites[] = $site = Sandbox::uniqueSite('phpcancel');
            $client->provision('admin', $site, 'premium');
        }
        $results = iterator_to_array($client->cancelMany(array_map(fn ($s) => ['site' => $s], array_slice($sites, 0, 8)), ['concurrency' => 4]), false);
        $this->assertCount(8, $results);
        foreach ($results as $r) {
            $this->assertSame('done', $r['outcome']);
            $this->assertSame(['success' => true], $r['reply']);
        }
        $seen = 0;
        foreach ($client->cancelMany(array_map(fn ($s) => ['site' => $s], array_slice($sites, 8)), ['concurrency' => 1]) as $r) {
            if (++$seen === 2) {
                break;
            }
        }
        $left = 0;
        foreach (array_slice($sites, 8) as $site) {
            $left += count($client->status($site)['products']) > 0 ? 1 : 0;
        }
        $this->assertGreaterThanOrEqual(6, $left, 'leaving the loop stops the batch');
    }

    public function testReconcileFindsEveryDifferenceAndFixRemovesThem(): void
    {
        // A key of its own, so that the activations report holds only this test's sites.
        $key = $this->client()->partnerKeyNew('reconcile ' . bin2hex(random_bytes(3)), ['allowed_premium_plans' => 10, 'allowed_professional_plans' => 10]);
        $client = $this->client([], (string) $key['client_id'], (string) $key['client_secret']);
        $tag = 'phprec' . bin2hex(random_bytes(3));
        $url = fn (string $name) => "https://$tag-$name.example/";
        foreach (['ok' => 'premium', 'unbilled' => 'premium', 'wrong' => 'professional', 'gone' => 'premium'] as $name => $plan) {
            $client->provision('admin', $url($name), $plan, ['wpcom_user_id' => 1]);
        }
        $client->cancel($url('gone'));
        $expected = [];
        foreach (['ok', 'missing', 'wrong', 'gone'] as $name) {
            $expected[] = ['site' => $url($name), 'plan' => 'premium', 'key' => "o-$name"];
        }
        $token = Sandbox::userToken();
        $report = $client->reconcile($expected, ['user_token' => $token]);
        $this->assertSame(1, $report['counts']['matching'], json_encode($report));
        foreach (['unbilled', 'missing', 'plan_differs', 'cancelled'] as $kind) {
            $this->assertSame(1, $report['counts'][$kind], $kind . ': ' . json_encode($report));
        }
        $byKind = array_column($report['differences'], null, 'kind');
        $this->assertSame('professional', $byKind['plan_differs']['actual_plan']);
        $this->assertSame('o-missing', $byKind['missing']['key']);

        $fixed = $client->reconcile($expected, ['user_token' => $token, 'fix' => true, 'journal' => self::journal()]);
        $this->assertSame(4, $fixed['counts']['fixed'], json_encode($fixed));
        $this->assertSame(0, $fixed['counts']['unresolved']);
        $after = $client->reconcile($expected, ['user_token' => $token]);
        $this->assertSame(0, $after['counts']['unresolved'], json_encode($after));
        $e = $this->thrown(InvalidArgumentException::class, fn () => $client->reconcile([['site' => $url('x')]]));
        $this->assertStringStartsWith('expected[0].plan', $e->getMessage());
    }
}
