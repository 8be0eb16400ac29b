import '../../../style/base.css';
import './status.css';
