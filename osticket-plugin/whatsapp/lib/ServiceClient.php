<?php
/**
 * Talks to the WhatsApp service's REST API (docs/contract.md, section 3).
 */
final class WhatsAppServiceClient
{
    private $baseUrl;
    private $apiKey;
    private $timeout;

    /** @param float $timeoutSeconds the longest a call may take */
    public function __construct($baseUrl, $apiKey, $timeoutSeconds = 5)
    {
        $this->baseUrl = rtrim((string) $baseUrl, '/');
        $this->apiKey = (string) $apiKey;
        $this->timeout = $timeoutSeconds;
    }

    /**
     * Queues a message. Returns ['outcome' => 'queued'|'retry'|'configuration'|'failed', 'error' => ?string, 'id' => ?int]
     * (docs/contract.md 2.3): 'retry': unreachable or busy (5xx, 429); 'configuration': wrong key or URL
     * (401, 403, 404, 3xx), kept until fixed; 'failed': this message is refused for good (e.g. not a phone number).
     * A file is ['name', 'type', 'chunks' => a function yielding its bytes]: the request body is
     * written to a temporary stream, base64 chunk by chunk, so the file is never held whole in memory.
     */
    public function send($chat, $text, $key, ?array $file = null, $ticketNumber = null)
    {
        // /send-secure insists on the API key; without one, the service only listens on loopback.
        $path = $this->apiKey !== '' ? '/send-secure' : '/send';
        $body = fopen('php://temp/maxmemory:262144', 'w+b');
        $fields = ['phone' => $chat, 'message' => $text, 'key' => $key];
        if ($ticketNumber !== null && $ticketNumber !== '') {
            $fields['ticket'] = (string) $ticketNumber; // for the Cloud API's invitation template
        }
        $fields = json_encode($fields, JSON_UNESCAPED_UNICODE);
        if ($file === null) {
            fwrite($body, $fields);
        } else {
            fwrite($body, substr($fields, 0, -1) . ',"media":' . substr(json_encode(['filename' => $file['name'], 'mimetype' => $file['type']], JSON_UNESCAPED_UNICODE), 0, -1) . ',"data":"');
            self::writeBase64($body, $file['chunks']());
            fwrite($body, '"}}');
        }
        $answer = $this->request('POST', $path, $body);
        fclose($body);
        if ($answer['status'] === 200 || $answer['status'] === 202) {
            return ['outcome' => 'queued', 'error' => null, 'id' => isset($answer['json']['id']) ? (int) $answer['json']['id'] : null];
        }
        $error = isset($answer['json']['error']['message']) ? $answer['json']['error']['message'] : $answer['error'];
        return ['outcome' => self::outcome($answer['status']), 'error' => $error, 'id' => null];
    }

    /** Base64 of a stream of chunks, written as it comes (whole groups of three bytes at a time). */
    public static function writeBase64($out, iterable $chunks)
    {
        $rest = '';
        foreach ($chunks as $chunk) {
            $rest .= $chunk;
            $whole = strlen($rest) - strlen($rest) % 3;
            fwrite($out, base64_encode(substr($rest, 0, $whole)));
            $rest = (string) substr($rest, $whole);
        }
        fwrite($out, base64_encode($rest));
    }

    /** An HTTP status of the service as the contract's failure kind. Pure. */
    public static function outcome($status)
    {
        if ($status === 200 || $status === 202) {
            return 'queued';
        }
        if ($status === 0 || $status === 408 || $status === 429 || $status >= 500) {
            return 'retry';
        }
        if (in_array($status, [401, 403, 404], true) || ($status >= 300 && $status < 400)) {
            return 'configuration';
        }
        return 'failed';
    }

    /** POST /forget (docs/contract.md 3.6): whether the service forgot what was asked. */
    public function forget(array $what)
    {
        return $this->request('POST', '/forget', json_encode($what))['status'] === 200;
    }

    /** GET /status as an array, or null when the service cannot be reached. */
    public function status()
    {
        return $this->check()['status'];
    }

    /**
     * The QR code to scan as PNG bytes, or null when there is none. When the
     * last codes ran out, the service starts a new linking attempt and waits
     * up to 10 s for its code (docs/contract.md 3), hence the longer timeout.
     */
    public function qrPng()
    {
        $answer = $this->request('GET', '/qr?format=png', null, 12);
        return $answer['status'] === 200 && strpos($answer['body'], "\x89PNG") === 0 ? $answer['body'] : null;
    }

    /**
     * A customer's file from GET /media/<id>, streamed to a temporary file and
     * checked against the sha256 the message event gave. Returns the bytes,
     * ['error' => why] when it is gone for good (404: purged), or
     * ['retry' => why] when it may work later (service busy, wrong key, damaged on the way).
     */
    public function media($id, $sha256, $maxBytes)
    {
        if (!preg_match('/^[0-9a-f]{32}$/', (string) $id)) {
            return ['error' => 'not a media id'];
        }
        $path = tempnam(sys_get_temp_dir(), 'wa-media-');
        $out = fopen($path, 'wb');
        $curl = curl_init($this->baseUrl . '/media/' . $id);
        curl_setopt_array($curl, [
            CURLOPT_HTTPHEADER => $this->apiKey !== '' ? ['X-API-Key: ' . $this->apiKey] : [],
            CURLOPT_FILE => $out,
            CURLOPT_CONNECTTIMEOUT => 3,
            CURLOPT_TIMEOUT => 120,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_MAXFILESIZE => (int) $maxBytes,
            CURLOPT_FAILONERROR => true,
        ]);
        $ok = curl_exec($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $error = $ok ? null : curl_error($curl);
        curl_close($curl);
        fclose($out);
        $data = $ok ? file_get_contents($path) : false;
        @unlink($path);
        if ($data === false) {
            return $status === 404
                ? ['error' => 'the WhatsApp service no longer has it']
                : ['retry' => 'the WhatsApp service did not hand it over (' . $error . ')', 'status' => $status];
        }
        if (hash('sha256', $data) !== $sha256) {
            return ['retry' => 'it was damaged on the way from the WhatsApp service', 'status' => $status];
        }
        return $data;
    }

    /** @param string|resource|null $body a string, or a stream read from its start */
    private function request($method, $path, $body = null, $timeoutSeconds = null)
    {
        $headers = ['Accept: application/json'];
        if ($this->apiKey !== '') {
            $headers[] = 'X-API-Key: ' . $this->apiKey;
        }
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json; charset=utf-8';
        }
        $curl = curl_init($this->baseUrl . $path);
        curl_setopt_array($curl, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_CONNECTTIMEOUT_MS => (int) (1000 * min(3, $timeoutSeconds === null ? $this->timeout : $timeoutSeconds)),
            CURLOPT_TIMEOUT_MS => (int) (1000 * ($timeoutSeconds === null ? $this->timeout : $timeoutSeconds)),
            CURLOPT_FOLLOWLOCATION => false,
        ]);
        if (is_resource($body)) {
            // Streamed from the temporary file, not copied into a string.
            $size = ftell($body);
            rewind($body);
            curl_setopt_array($curl, [CURLOPT_UPLOAD => true, CURLOPT_CUSTOMREQUEST => $method, CURLOPT_INFILE => $body, CURLOPT_INFILESIZE => $size,
                CURLOPT_HTTPHEADER => array_merge($headers, ['Expect:'])]);
        } elseif ($body !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, $body);
        }
        $response = curl_exec($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $error = $response === false ? curl_error($curl) : null;
        curl_close($curl);
        $text = $response === false ? '' : (string) $response;
        return ['status' => $response === false ? 0 : $status, 'body' => $text, 'json' => json_decode($text, true), 'error' => $error ?: "HTTP $status"];
    }

    /**
     * What is wrong with reaching the service at this URL with this key, or null when
     * GET /status answers. For the settings page and saving the settings.
     */
    public function problem()
    {
        return $this->check()['problem'];
    }

    /**
     * GET /status once: ['status' => its answer or null, 'label' => what is wrong in a few words,
     * 'problem' => the same as a sentence saying what to do] (label and problem null when it answered).
     */
    public function check()
    {
        $answer = $this->request('GET', '/status');
        switch (true) {
            case $answer['status'] === 200 && is_array($answer['json']):
                return ['status' => $answer['json'], 'label' => null, 'problem' => null];
            case $answer['status'] === 0:
                return ['status' => null, 'label' => 'service unreachable',
                    'problem' => 'The WhatsApp service cannot be reached at ' . $this->baseUrl . ' (' . $answer['error'] . '). Is it running, and is the Service URL right?'];
            case $answer['status'] === 401 || $answer['status'] === 403:
                return ['status' => null, 'label' => 'API key refused',
                    'problem' => 'The WhatsApp service refused the API Key: enter the API_KEY from the service\'s .env.'];
            default:
                return ['status' => null, 'label' => 'not the service (HTTP ' . $answer['status'] . ')',
                    'problem' => 'The WhatsApp service answered HTTP ' . $answer['status'] . ' at ' . $this->baseUrl . '/status: is the Service URL the service\'s address?'];
        }
    }
}
