// The dashboard's one stylesheet, served as /assets/app.css. System fonts only:
// nothing is fetched from elsewhere.
import { CONTROLS_CSS } from './styles/controls.js';
import { FORMS_CSS } from './styles/forms.js';
import { LAYOUT_CSS } from './styles/layout.js';
import { PHONE_CSS } from './styles/phone.js';
import { SERVICE_CSS } from './styles/service.js';
import { THEME_CSS } from './styles/theme.js';

/** In cascade order: the phone rules come last so they win. */
export const DASHBOARD_CSS = [
  THEME_CSS,
  LAYOUT_CSS,
  CONTROLS_CSS,
  SERVICE_CSS,
  FORMS_CSS,
  PHONE_CSS,
].join('\n');
