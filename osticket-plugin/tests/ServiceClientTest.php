<?php
use PHPUnit\Framework\TestCase;

final class ServiceClientTest extends TestCase
{
    /** The contract's failure kinds (docs/contract.md 2.3) as the plugin reads the service's answers. */
    public function testServiceAnswersByKind()
    {
        foreach ([200 => 'queued', 202 => 'queued', 0 => 'retry', 429 => 'retry', 500 => 'retry', 503 => 'retry',
                  401 => 'configuration', 403 => 'configuration', 404 => 'configuration', 301 => 'configuration',
                  400 => 'failed', 413 => 'failed'] as $status => $kind) {
            $this->assertSame($kind, WhatsAppServiceClient::outcome($status), "HTTP $status");
        }
    }

    public function testBase64WrittenChunkByChunkIsTheBase64OfTheWhole()
    {
        $data = random_bytes(100001);
        $chunks = str_split($data, 7777);
        $out = fopen('php://memory', 'w+b');
        WhatsAppServiceClient::writeBase64($out, $chunks);
        rewind($out);
        $this->assertSame(base64_encode($data), stream_get_contents($out));
    }

    /** A real HTTP server (PHP's own) takes the request: the file arrives whole, and was never whole in memory here. */
    public function testAFileIsStreamedToTheServiceNotHeldInMemory()
    {
        $dir = sys_get_temp_dir() . '/wa-client-' . bin2hex(random_bytes(4));
        mkdir($dir);
        file_put_contents("$dir/router.php", '<?php file_put_contents(__DIR__ . "/body", file_get_contents("php://input")); file_put_contents(__DIR__ . "/headers", json_encode(getallheaders()));'
            . ' http_response_code(202); header("Content-Type: application/json"); echo json_encode(["id" => 7]);');
        $port = 20000 + random_int(0, 9999);
        $server = proc_open(['php', '-S', "127.0.0.1:$port", "$dir/router.php"], [['pipe', 'r'], ['file', '/dev/null', 'w'], ['file', '/dev/null', 'w']], $pipes);
        try {
            for ($i = 0; $i < 50 && !@fsockopen('127.0.0.1', $port); $i++) {
                usleep(100000);
            }
            $size = 8 * 1048576;
            $chunks = function () use ($size) {
                for ($sent = 0; $sent < $size; $sent += 65536) {
                    yield str_repeat(chr($sent / 65536 % 256), 65536);
                }
            };
            $before = memory_get_peak_usage();
            $result = (new WhatsAppServiceClient("http://127.0.0.1:$port", 'key-0123456789abcdef', 20))
                ->send('4917100000001', '', 'entry:1:file:2', ['name' => 'Anleitung.pdf', 'type' => 'application/pdf', 'chunks' => $chunks], '654321');
            $this->assertSame('queued', $result['outcome']);
            $this->assertLessThan($size / 2, memory_get_peak_usage() - $before, 'less than half the file in memory at any time');
            $body = json_decode(file_get_contents("$dir/body"), true);
            $this->assertSame(['4917100000001', '', 'entry:1:file:2', '654321', 'Anleitung.pdf', 'application/pdf'],
                [$body['phone'], $body['message'], $body['key'], $body['ticket'], $body['media']['filename'], $body['media']['mimetype']]);
            $this->assertSame(hash('sha256', implode('', iterator_to_array($chunks(), false))), hash('sha256', base64_decode($body['media']['data'])));
            $this->assertSame('key-0123456789abcdef', array_change_key_case(json_decode(file_get_contents("$dir/headers"), true))['x-api-key'] ?? null);
        } finally {
            proc_terminate($server);
            proc_close($server);
            array_map('unlink', glob("$dir/*"));
            rmdir($dir);
        }
    }
}
