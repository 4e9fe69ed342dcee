"""Reads the few protobuf messages the compat layer hands back to TF 1.x code.

The extension returns MetaGraphDef, GraphDef and SaverDef serialized; TF 1.x
code reads a handful of their fields (signature_def, tags, node names and
shapes, the saver's tensor names). Decoding those fields here keeps the
package free of a protobuf dependency. Field numbers are TensorFlow's
(meta_graph.proto, graph.proto, node_def.proto, attr_value.proto,
tensor_shape.proto, saver.proto).
"""


def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated protobuf varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("protobuf varint longer than 10 bytes")


def fields(buf):
    """Yields (field number, wire type, value) for each field of a message:
    ints for varints, bytes for length-delimited fields and fixed-size ones."""
    buf = memoryview(buf)
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            n, pos = _varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated protobuf field %d" % number)
            value, pos = bytes(buf[pos:pos + n]), pos + n
        elif wire == 1:
            value, pos = bytes(buf[pos:pos + 8]), pos + 8
        elif wire == 5:
            value, pos = bytes(buf[pos:pos + 4]), pos + 4
        else:
            raise ValueError("unsupported protobuf wire type %d" % wire)
        yield number, wire, value


def _signed64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _map_entry(buf):
    key = value = b""
    for n, _, v in fields(buf):
        if n == 1:
            key = v
        elif n == 2:
            value = v
    return key.decode(), value


def tensor_shape(buf):
    """TensorShapeProto -> None (unknown rank) or a list of sizes (-1 unknown)."""
    dims, unknown_rank = [], False
    for n, _, v in fields(buf):
        if n == 2:
            size = 0
            for dn, _, dv in fields(v):
                if dn == 1:
                    size = _signed64(dv)
            dims.append(size)
        elif n == 3:
            unknown_rank = bool(v)
    return None if unknown_rank else dims


def tensor_info(buf):
    """TensorInfo -> {"name", "dtype", "shape"}."""
    info = {"name": "", "dtype": 0, "shape": None}
    for n, _, v in fields(buf):
        if n == 1:
            info["name"] = v.decode()
        elif n == 2:
            info["dtype"] = v
        elif n == 3:
            info["shape"] = tensor_shape(v)
    return info


def signature_def(buf):
    """SignatureDef -> {"inputs": {key: tensor_info}, "outputs": {...}, "method_name"}."""
    sig = {"inputs": {}, "outputs": {}, "method_name": ""}
    for n, _, v in fields(buf):
        if n in (1, 2):
            key, value = _map_entry(v)
            sig["inputs" if n == 1 else "outputs"][key] = tensor_info(value)
        elif n == 3:
            sig["method_name"] = v.decode()
    return sig


def meta_graph_def(buf):
    """MetaGraphDef -> {"tags", "graph_def" (bytes), "saver_def" (bytes), "signature_def"}."""
    out = {"tags": [], "graph_def": b"", "saver_def": b"", "signature_def": {}}
    for n, _, v in fields(buf):
        if n == 1:
            for mn, _, mv in fields(v):
                if mn == 4:
                    out["tags"].append(mv.decode())
        elif n == 2:
            out["graph_def"] = v
        elif n == 3:
            out["saver_def"] = v
        elif n == 5:
            key, value = _map_entry(v)
            out["signature_def"][key] = signature_def(value)
    return out


def _attr_shapes(buf):
    """An AttrValue's shape, or its list of shapes: a list of shapes (each None or dims)."""
    shapes = []
    for n, _, v in fields(buf):
        if n == 7:
            shapes.append(tensor_shape(v))
        elif n == 1:
            for ln, _, lv in fields(v):
                if ln == 7:
                    shapes.append(tensor_shape(lv))
    return shapes


def graph_nodes(buf):
    """GraphDef -> a list of {"name", "op", "inputs", "shape", "output_shapes"}: the
    "shape" attr (Placeholder) and "_output_shapes" where the writer recorded them."""
    nodes = []
    for n, _, v in fields(buf):
        if n != 1:
            continue
        node = {"name": "", "op": "", "inputs": [], "shape": None, "output_shapes": None}
        for nn, _, nv in fields(v):
            if nn == 1:
                node["name"] = nv.decode()
            elif nn == 2:
                node["op"] = nv.decode()
            elif nn == 3:
                node["inputs"].append(nv.decode())
            elif nn == 5:
                key, value = _map_entry(nv)
                if key == "shape":
                    shapes = _attr_shapes(value)
                    node["shape"] = shapes[0] if shapes else None
                    node["has_shape"] = bool(shapes)
                elif key == "_output_shapes":
                    node["output_shapes"] = _attr_shapes(value)
        nodes.append(node)
    return nodes


def saver_def(buf):
    """SaverDef -> its tensor and op names."""
    out = {"filename_tensor_name": "", "save_tensor_name": "", "restore_op_name": "",
           "max_to_keep": 0, "sharded": False}
    for n, _, v in fields(buf):
        if n == 1:
            out["filename_tensor_name"] = v.decode()
        elif n == 2:
            out["save_tensor_name"] = v.decode()
        elif n == 3:
            out["restore_op_name"] = v.decode()
        elif n == 4:
            out["max_to_keep"] = _signed64(v)
        elif n == 5:
            out["sharded"] = bool(v)
    return out
