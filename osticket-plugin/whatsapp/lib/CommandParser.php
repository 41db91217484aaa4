<?php
/**
 * Customer commands. A close keyword counts only when it is the whole
 * message (case, spaces, umlaut spelling and trailing punctuation aside):
 * "Danke!" closes, "Danke, aber es geht immer noch nicht" does not. So do
 * the opt-out and opt-in words (STOP, START): one word, the whole message.
 */
final class WhatsAppCommandParser
{
    private $closeKeywords;
    private $switchKeywords;
    private $optOutKeywords;
    private $optInKeywords;

    /**
     * @param string[] $closeKeywords
     * @param string|string[] $switchKeywords
     * @param string[] $optOutKeywords
     * @param string[] $optInKeywords
     */
    public function __construct(array $closeKeywords, $switchKeywords, array $optOutKeywords = [], array $optInKeywords = [])
    {
        $this->closeKeywords = self::folded($closeKeywords);
        $this->switchKeywords = self::folded((array) $switchKeywords);
        $this->optOutKeywords = self::folded($optOutKeywords);
        $this->optInKeywords = self::folded($optInKeywords);
    }

    /** The parser of an instance's texts: the main keywords and the alternatives (one per line). */
    public static function fromTexts(array $texts)
    {
        $lines = function ($key) use ($texts) {
            return self::lines(isset($texts[$key]) ? $texts[$key] : '');
        };
        return new self(
            array_merge([$texts['close_keyword']], $lines('close_keywords_alt')),
            array_merge([$texts['switch_keyword']], $lines('switch_keywords_alt')),
            $lines('optout_keywords'),
            $lines('optin_keywords')
        );
    }

    /**
     * @return array{type: string, number?: string}
     *   ['type' => 'close'], ['type' => 'switch', 'number' => '123456'], ['type' => 'optout'], ['type' => 'optin'] or ['type' => 'message']
     */
    public function parse($text)
    {
        $folded = self::fold($text);
        if ($folded === '') {
            return ['type' => 'message'];
        }
        if (in_array($folded, $this->optOutKeywords, true)) {
            return ['type' => 'optout'];
        }
        if (in_array($folded, $this->optInKeywords, true)) {
            return ['type' => 'optin'];
        }
        if (in_array($folded, $this->closeKeywords, true)) {
            return ['type' => 'close'];
        }
        foreach ($this->switchKeywords as $keyword) {
            $pattern = '/^' . preg_quote($keyword, '/') . '\s*:?\s*#?\s*([a-z0-9][a-z0-9\-]*)$/u';
            if (preg_match($pattern, $folded, $m)) {
                return ['type' => 'switch', 'number' => strtoupper($m[1])];
            }
        }
        return ['type' => 'message'];
    }

    /** Lower case, single spaces, umlauts spelled out, no trailing punctuation. */
    public static function fold($text)
    {
        $text = mb_strtolower(trim((string) $text), 'UTF-8');
        $text = strtr($text, ['ä' => 'ae', 'ö' => 'oe', 'ü' => 'ue', 'ß' => 'ss']);
        $text = preg_replace('/\s+/u', ' ', $text);
        return trim(preg_replace('/[\s.!?,;:…]+$/u', '', $text));
    }

    private static function folded(array $keywords)
    {
        return array_values(array_filter(array_map([__CLASS__, 'fold'], $keywords), 'strlen'));
    }

    /** Keywords from a multi-line setting, one per line. */
    public static function lines($setting)
    {
        return array_values(array_filter(array_map('trim', preg_split('/\R/u', (string) $setting)), 'strlen'));
    }
}
