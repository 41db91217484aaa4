<?php
/**
 * An agent's HTML reply as WhatsApp text: paragraphs and line breaks kept,
 * no hard wrapping, lists as lines with bullets, links as "text (url)",
 * bold/italic/strike as WhatsApp's *bold*, _italic_ and ~strike~, no HTML
 * entities. Pure (DOM only).
 */
final class WhatsAppMarkup
{
    const BLOCKS = ['p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'pre', 'table', 'tr', 'hr'];

    public static function toWhatsApp($html)
    {
        $html = (string) $html;
        if (trim($html) === '') {
            return '';
        }
        $dom = new DOMDocument();
        $previous = libxml_use_internal_errors(true);
        $dom->loadHTML('<?xml encoding="UTF-8"><body>' . $html . '</body>', LIBXML_NONET);
        libxml_clear_errors();
        libxml_use_internal_errors($previous);
        $body = $dom->getElementsByTagName('body')->item(0);
        $text = $body ? self::children($body, []) : '';
        // Line breaks (\x01) and block edges (\x02) leave markers: a run of them is one line break,
        // or one empty line when a block edge is in it. Indentation after the run stays.
        $text = preg_replace_callback('/[ \t]*[\x01\x02](?:\s*[\x01\x02])*/u', function ($m) {
            return strpos($m[0], "\x02") !== false ? "\n\n" : "\n";
        }, $text);
        // Spaces from neighbouring inline elements collapse as in a browser; indentation stays.
        $text = preg_replace('/(?<=\S) {2,}/u', ' ', $text);
        return trim($text, " \n");
    }

    private static function children(DOMNode $node, array $lists)
    {
        $out = '';
        foreach ($node->childNodes as $child) {
            $out .= self::node($child, $lists);
        }
        return $out;
    }

    private static function node(DOMNode $node, array $lists)
    {
        if ($node instanceof DOMText) {
            // Source line breaks and runs of spaces are HTML layout, not text.
            return preg_replace('/\s+/u', ' ', $node->nodeValue);
        }
        if (!$node instanceof DOMElement) {
            return '';
        }
        $tag = strtolower($node->tagName);
        switch ($tag) {
            case 'script':
            case 'style':
            case 'head':
                return '';
            case 'br':
                return "\x01";
            case 'hr':
                return "\x02———\x02";
            case 'b':
            case 'strong':
                return self::wrap('*', self::children($node, $lists));
            case 'i':
            case 'em':
                return self::wrap('_', self::children($node, $lists));
            case 's':
            case 'del':
            case 'strike':
                return self::wrap('~', self::children($node, $lists));
            case 'a':
                $label = trim(self::children($node, $lists));
                $href = trim($node->getAttribute('href'));
                if ($href === '' || stripos($href, 'javascript:') === 0) {
                    return $label;
                }
                $shown = preg_replace('#^mailto:#i', '', $href);
                return ($label === '' || $label === $href || $label === $shown) ? $shown : "$label ($shown)";
            case 'img':
                $alt = trim($node->getAttribute('alt'));
                return $alt !== '' ? "[$alt]" : '';
            case 'ul':
            case 'ol':
                $lists[] = ['ordered' => $tag === 'ol', 'n' => 0];
                return "\x02" . self::listItems($node, $lists) . "\x02";
            case 'h1':
            case 'h2':
            case 'h3':
            case 'h4':
            case 'h5':
            case 'h6':
                return "\x02" . self::wrap('*', self::children($node, $lists)) . "\x02";
            case 'blockquote':
                $inner = trim(self::toWhatsApp(self::innerHtml($node)));
                return "\x02" . preg_replace('/^/mu', '> ', $inner) . "\x02";
            case 'pre':
                return "\x02" . rtrim($node->textContent) . "\x02";
            case 'td':
            case 'th':
                return self::children($node, $lists) . ' ';
        }
        $inner = self::children($node, $lists);
        return in_array($tag, self::BLOCKS, true) ? "\x02" . $inner . "\x02" : $inner;
    }

    private static function listItems(DOMElement $list, array $lists)
    {
        $depth = count($lists) - 1;
        $lines = [];
        // A nested list is indented by the item it is in.
        $n = 0;
        foreach ($list->childNodes as $child) {
            if (!$child instanceof DOMElement || strtolower($child->tagName) !== 'li') {
                continue;
            }
            $n++;
            $marker = $lists[$depth]['ordered'] ? "$n." : '•';
            $text = trim(preg_replace('/[\x01\x02]+/', "\x01", self::children($child, $lists)), " \x01");
            $lines[] = $marker . ' ' . str_replace("\x01", "\x01  ", $text);
        }
        return implode("\x01", $lines);
    }

    /** *x* only around words: "* x *" would not render bold in WhatsApp. */
    private static function wrap($mark, $text)
    {
        if (!preg_match('/^(\s*)(.*?)(\s*)$/su', $text, $m) || $m[2] === '') {
            return $text;
        }
        return $m[1] . $mark . $m[2] . $mark . $m[3];
    }

    private static function innerHtml(DOMNode $node)
    {
        $html = '';
        foreach ($node->childNodes as $child) {
            $html .= $node->ownerDocument->saveHTML($child);
        }
        return $html;
    }
}
