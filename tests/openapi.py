"""What a test needs to hold a served body to the OpenAPI document."""

from openapi_schema_validator import OAS30Validator


def inline(node, components):
    """A schema with every $ref to a component replaced by the component itself."""
    if isinstance(node, dict):
        if "$ref" in node:
            return inline(components[node["$ref"].rsplit("/", 1)[1]], components)
        return {k: inline(v, components) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, components) for v in node]
    return node


def response_schema(spec: dict, path: str, method: str = "get", status: str = "200") -> dict:
    """The documented JSON body of one response, with its references resolved."""
    answer = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
    return inline(answer["schema"], spec["components"]["schemas"])


def violations(spec: dict, path: str, body, method: str = "get", status: str = "200"):
    """What in a served body contradicts its documented schema (empty: it keeps to it)."""
    validator = OAS30Validator(response_schema(spec, path, method, status))
    found = validator.iter_errors(body)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]
