from playground.core.rendering import render_markdown


def test_it_renders_markdown_structure():
    html = render_markdown("# Title\n\n- one\n- two\n\n```python\nprint(1 < 2)\n```")
    assert "<h1>Title</h1>" in html
    assert "<li>one</li>" in html
    assert (
        '<pre data-language="Python"><code class="language-python">'
        '<span class="nb">print</span><span class="p">(</span><span class="mi">1</span> '
        '<span class="o">&lt;</span> <span class="mi">2</span><span class="p">)</span>\n'
        "</code></pre>"
    ) in html


def test_it_shows_html_written_by_the_model_as_text():
    html = render_markdown('<script>alert(1)</script> <img src=x onerror="alert(2)">')
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html


def test_it_never_loads_images_named_by_the_model():
    html = render_markdown("![a cat](https://tracker.example/cat.png)")
    assert "<img" not in html
    assert "tracker.example" not in html
    assert "[image: a cat]" in html


def test_it_drops_javascript_links_and_isolates_real_ones():
    html = render_markdown("[bad](javascript:alert(1)) [good](https://example.com)")
    assert "javascript:" not in html.replace("[bad](javascript:alert(1))", "")
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_it_renders_tables():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in html and "<td>2</td>" in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
