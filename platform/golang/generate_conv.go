package golang

import "strconv"

// converter writes func stargate_cN(v any, q bool) (T, *Bad) for t: the
// argument as received (see runner.Args.Value) to a value of t, without
// reflection. Converters of composite types call those of their parts.
func (g *gen) converter(t *typ) {
	name, T := "stargate_c"+strconv.Itoa(t.id), t.spell()
	g.printf("func %s(stargate_v any, stargate_q bool) (%s, *stargate_bind.Bad) {\n", name, T)
	switch t.kind {
	case kindBool:
		g.printf("\tstargate_x, stargate_bad := stargate_bind.Bool(stargate_v)\n\treturn %s(stargate_x), stargate_bad\n", T)
	case kindInt:
		g.printf("\tstargate_x, stargate_bad := stargate_bind.Int(stargate_v, %d)\n\treturn %s(stargate_x), stargate_bad\n", t.bits, T)
	case kindUint:
		g.printf("\tstargate_x, stargate_bad := stargate_bind.Uint(stargate_v, %d)\n\treturn %s(stargate_x), stargate_bad\n", t.bits, T)
	case kindFloat:
		g.printf("\tstargate_x, stargate_bad := stargate_bind.Float(stargate_v, %d)\n\treturn %s(stargate_x), stargate_bad\n", t.bits, T)
	case kindString:
		g.printf("\tstargate_x, stargate_bad := stargate_bind.String(stargate_v)\n\treturn %s(stargate_x), stargate_bad\n", T)
	case kindBytes:
		g.printf("\tif stargate_v == nil {\n\t\treturn nil, nil\n\t}\n")
		g.printf("\tstargate_x, stargate_bad := stargate_bind.Bytes(stargate_v)\n\treturn %s(stargate_x), stargate_bad\n", T)
	case kindAny:
		g.printf("\treturn %s(stargate_bind.Any(stargate_v)), nil\n", T)
	case kindCustom:
		g.printf("\tvar stargate_out %s\n", T)
		g.printf("\treturn stargate_out, stargate_bind.Unmarshal(stargate_v, stargate_q, &stargate_out, %q)\n", t.what)
	case kindPointer:
		g.printf("\tif stargate_v == nil {\n\t\treturn nil, nil\n\t}\n")
		g.printf("\tstargate_x, stargate_bad := %s(stargate_v, stargate_q)\n", g.use(t.elem))
		g.printf("\tif stargate_bad != nil {\n\t\treturn nil, stargate_bad\n\t}\n\treturn (%s)(&stargate_x), nil\n", T)
	case kindSlice:
		g.printf("\tstargate_items, stargate_iq, stargate_bad := stargate_bind.List(stargate_v, stargate_q)\n")
		g.printf("\tif stargate_bad != nil || stargate_items == nil {\n\t\treturn nil, stargate_bad\n\t}\n")
		g.printf("\tstargate_out := make(%s, len(stargate_items))\n", T)
		g.items(t, "nil")
	case kindArray:
		g.printf("\tvar stargate_out %s\n", T)
		g.printf("\tstargate_items, stargate_iq, stargate_bad := stargate_bind.Array(stargate_v, stargate_q, %d)\n", t.length)
		g.printf("\tif stargate_bad != nil {\n\t\treturn stargate_out, stargate_bad\n\t}\n")
		g.items(t, "stargate_out")
	case kindMap:
		g.mapConverter(t, T)
	case kindStruct:
		g.structConverter(t, T)
	}
	g.printf("}\n\n")
}

// items converts the items of a slice or array into stargate_out.
func (g *gen) items(t *typ, zero string) {
	g.printf("\tfor stargate_i, stargate_x := range stargate_items {\n")
	g.printf("\t\tstargate_y, stargate_bad := %s(stargate_x, stargate_iq)\n", g.use(t.elem))
	g.printf("\t\tif stargate_bad != nil {\n\t\t\treturn %s, stargate_bad.AtIndex(stargate_i)\n\t\t}\n", zero)
	g.printf("\t\tstargate_out[stargate_i] = stargate_y\n\t}\n\treturn stargate_out, nil\n")
}

// mapConverter converts an object; of several bad entries, the one with the
// smallest key is reported, so that the answer does not depend on map order.
func (g *gen) mapConverter(t *typ, T string) {
	g.printf("\tstargate_m, stargate_bad := stargate_bind.Object(stargate_v, stargate_q, true)\n")
	g.printf("\tif stargate_bad != nil || stargate_m == nil {\n\t\treturn nil, stargate_bad\n\t}\n")
	g.printf("\tstargate_out := make(%s, len(stargate_m))\n", T)
	g.printf("\tvar stargate_first *stargate_bind.Bad\n\tstargate_firstKey := \"\"\n")
	g.printf("\tfor stargate_k, stargate_x := range stargate_m {\n")
	switch t.key.kind {
	case kindInt:
		g.printf("\t\tstargate_kk, stargate_bad := stargate_bind.Int(stargate_k, %d)\n", t.key.bits)
	case kindUint:
		g.printf("\t\tstargate_kk, stargate_bad := stargate_bind.Uint(stargate_k, %d)\n", t.key.bits)
	default:
		g.printf("\t\tstargate_kk, stargate_bad := stargate_k, (*stargate_bind.Bad)(nil)\n")
	}
	g.printf("\t\tif stargate_bad == nil {\n\t\t\tvar stargate_y %s\n", t.elem.spell())
	g.printf("\t\t\tif stargate_y, stargate_bad = %s(stargate_x, false); stargate_bad == nil {\n", g.use(t.elem))
	g.printf("\t\t\t\tstargate_out[%s(stargate_kk)] = stargate_y\n\t\t\t\tcontinue\n\t\t\t}\n", t.key.spell())
	g.printf("\t\t\tstargate_bad = stargate_bad.AtKey(stargate_k)\n")
	g.printf("\t\t} else {\n\t\t\tstargate_bad = stargate_bind.KeyBad(stargate_k, stargate_bad)\n\t\t}\n")
	g.printf("\t\tif stargate_first == nil || stargate_k < stargate_firstKey {\n")
	g.printf("\t\t\tstargate_first, stargate_firstKey = stargate_bad, stargate_k\n\t\t}\n\t}\n")
	g.printf("\tif stargate_first != nil {\n\t\treturn nil, stargate_first\n\t}\n\treturn stargate_out, nil\n")
}

// structConverter converts an object field by field; missing fields keep
// their zero value, unknown ones are ignored, as with encoding/json.
func (g *gen) structConverter(t *typ, T string) {
	g.printf("\tvar stargate_out %s\n", T)
	g.printf("\tstargate_m, stargate_bad := stargate_bind.Object(stargate_v, stargate_q, false)\n")
	g.printf("\tif stargate_bad != nil {\n\t\treturn stargate_out, stargate_bad\n\t}\n")
	for _, f := range t.fields {
		g.printf("\tif stargate_x, stargate_ok := stargate_bind.Field(stargate_m, %q); stargate_ok {\n", f.json)
		g.printf("\t\tstargate_y, stargate_bad := %s(stargate_x, false)\n", g.use(f.typ))
		g.printf("\t\tif stargate_bad != nil {\n\t\t\treturn stargate_out, stargate_bad.AtKey(%q)\n\t\t}\n", f.json)
		sel := "stargate_out"
		for i, s := range f.path {
			sel += "." + s.name
			if s.pointer != "" && i < len(f.path)-1 {
				g.printf("\t\tif %s == nil {\n\t\t\t%s = new(%s)\n\t\t}\n", sel, sel, s.pointer)
			}
		}
		g.printf("\t\t%s = stargate_y\n\t}\n", sel)
	}
	g.printf("\treturn stargate_out, nil\n")
}
