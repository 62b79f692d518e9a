from django import template
from django.utils.safestring import SafeString

from safeguard.training.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    """{{ lesson.body|markdown }}: sanitized HTML (see safeguard/training/markdown.py)."""
    return render_markdown(text)
